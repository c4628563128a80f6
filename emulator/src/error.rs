//! The emulator's errors, by what went wrong, each keeping its source; the
//! harness wraps them in its own error one to one.

use std::fmt::Display;

/// A boxed error from a dependency whose type is generic (AWS SDK errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can stop the emulator or one of its control-plane reads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting that cannot be used (a flag, a route, a config file's
    /// field); the message names it.
    #[error("{0}")]
    Invalid(String),
    /// Something the emulator needs is missing or did not answer in time
    /// (a port, an API's resource, a stage, a function).
    #[error("{0}")]
    Unavailable(String),
    /// A file, socket or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. the path.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An AWS API call failed.
    #[error("{line}")]
    Aws {
        /// Service, operation, error code and message in one line
        /// ([`authorizer::aws_error::describe`]), plus any context.
        line: String,
        /// The SDK's error.
        source: BoxError,
    },
    /// An HTTP client that could not be built or a request that failed.
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// The Lambda runtime could not start a function or invoke it.
    #[error(transparent)]
    Lambda(#[from] LambdaError),
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

    /// [`Error::Io`], `what` naming the path or operation.
    pub fn io(what: impl Display, source: std::io::Error) -> Self {
        Self::Io {
            what: what.to_string(),
            source,
        }
    }

    /// [`Error::Aws`] for a failed `service` `operation` call, with what to
    /// check for an error a user can cause.
    pub fn aws<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let hint = authorizer::aws_error::what_to_check(&err, crate::sdk::region());
        Self::Aws {
            line: format!(
                "{}{hint}",
                authorizer::aws_error::describe(service, operation, &err)
            ),
            source: Box::new(err),
        }
    }

    /// [`Error::aws`] with what the call was about (`function NAME`, `api ID`)
    /// in parentheses after the SDK's message.
    pub fn aws_about<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
        about: impl Display,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let mut e = Self::aws(service, operation, err);
        if let Self::Aws { line, .. } = &mut e {
            *line = format!("{line} ({about})");
        }
        e
    }
}

/// Why an environment could not start or an invocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LambdaError {
    /// The binary could not be spawned or the listener not bound.
    #[error("could not start the function: {0}")]
    Spawn(String),
    /// The runtime posted `/runtime/init/error`.
    #[error("init error {error_type}: {message}")]
    InitError {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
    /// The process exited before its first `/next`.
    #[error("the function exited during init ({0})")]
    InitExit(String),
    /// No `/next` within the init timeout.
    #[error("init timed out")]
    InitTimeout,
    /// No answer within the function timeout.
    #[error("task timed out")]
    Timeout,
    /// The process exited during the invocation.
    #[error("the runtime exited ({0})")]
    Crashed(String),
    /// The response exceeded 6 MiB.
    #[error("response too large")]
    ResponseTooLarge,
}

/// The emulator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
