//! The tokens crate's errors, by what went wrong, each keeping its source;
//! the harness takes each variant over as its own.

use std::fmt::Display;

/// What can stop making a key, a signature, a token or the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the caller gave (a time, a claim, a spec) that cannot be
    /// used; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// Something needed is missing (a key, an attacker key, a public key
    /// KMS did not return).
    #[error("{0}")]
    Unavailable(String),
    /// An AWS API call failed.
    #[error("{line}")]
    Aws {
        /// Service, operation, error code and message in one line
        /// ([`authorizer::aws_error::describe`]) and what to check.
        line: String,
        /// The SDK's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A local key could not be made, read or used.
    #[error(transparent)]
    Key(#[from] crate::keypair::KeyError),
    /// A KMS signature could not be made.
    #[error(transparent)]
    KmsSign(#[from] crate::kms::KmsSignError),
    /// A KMS key that cannot sign as asked.
    #[error(transparent)]
    Spec(#[from] authorizer::kms::SpecError),
    /// A key entry the authorizer's configuration rules refuse.
    #[error(transparent)]
    Config(#[from] authorizer::ConfigError),
    /// Another error, with what was being done.
    #[error("{context}: {source}")]
    Context {
        /// The flag, key or resource concerned.
        context: String,
        /// The error.
        source: Box<Error>,
    },
}

impl Error {
    /// [`Error::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// [`Error::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(message.into())
    }

    /// [`Error::Aws`] for a failed KMS `operation` about `about`, the
    /// region the call went to named in what to check.
    pub fn kms<E, R>(
        operation: &str,
        err: aws_sdk_kms::error::SdkError<E, R>,
        about: impl Display,
        region: Option<&str>,
    ) -> Self
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let hint = authorizer::aws_error::what_to_check(&err, region);
        Self::Aws {
            line: format!(
                "{}{hint} ({about})",
                authorizer::aws_error::describe("KMS", operation, &err)
            ),
            source: Box::new(err),
        }
    }

    /// The same error with `context` in front of its message (a flag, a key,
    /// a resource); the error itself stays the source.
    #[must_use]
    pub fn context(self, context: impl Display) -> Self {
        Self::Context {
            context: context.to_string(),
            source: Box::new(self),
        }
    }
}

/// The tokens crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
