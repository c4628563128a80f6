//! The harness's errors: one enum for the library, by what went wrong, each
//! keeping its source. The CLI maps them to exit codes (2 for anything that
//! stops a run before a verdict).

use std::fmt::Display;

/// A boxed error from a dependency whose type is generic (AWS SDK errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can stop a harness operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the caller gave (a flag, a plan file's field, a spec, a file's
    /// content) that cannot be used; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// Something the run needs is missing or did not answer in time (a
    /// process, a port, a deployment's resource, its logs).
    #[error("{0}")]
    Unavailable(String),
    /// Ctrl-C (or a stop request) ended the run between stages.
    #[error("interrupted")]
    Interrupted,
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
    /// A JSON document that could not be read or written.
    #[error("{what}: {source}")]
    Json {
        /// Which document.
        what: String,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A local key could not be made, read or used.
    #[error(transparent)]
    Key(#[from] tokens::keypair::KeyError),
    /// A KMS signature could not be made.
    #[error(transparent)]
    KmsSign(#[from] tokens::kms::KmsSignError),
    /// A KMS key that cannot sign as asked.
    #[error(transparent)]
    Spec(#[from] authorizer::kms::SpecError),
    /// An authorizer configuration that does not load.
    #[error(transparent)]
    Config(#[from] authorizer::ConfigError),
    /// A report that could not be rendered or written.
    #[error(transparent)]
    Report(#[from] reports::Error),
    /// A scenario or load plan that could not run.
    #[error(transparent)]
    Scenario(scenarios::Error),
    /// An HTTP request that failed (connection refused, timeout).
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// The Lambda emulator could not start a function or invoke it.
    #[error(transparent)]
    Lambda(#[from] emulator::LambdaError),
    /// moto could not be installed or started.
    #[error(transparent)]
    Moto(#[from] crate::moto::MotoError),
    /// A Python tool could not be installed.
    #[error(transparent)]
    Tool(#[from] crate::tools::ToolError),
    /// The deployment zip could not be written.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// A task that panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
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

    /// [`Error::Io`], `what` naming the path or operation.
    pub fn io(what: impl Display, source: std::io::Error) -> Self {
        Self::Io {
            what: what.to_string(),
            source,
        }
    }

    /// [`Error::Json`].
    pub fn json(what: impl Display, source: serde_json::Error) -> Self {
        Self::Json {
            what: what.to_string(),
            source,
        }
    }

    /// [`Error::Aws`] for a failed `service` `operation` call
    /// ([`emulator::Error::aws`]: the same line and hint).
    pub fn aws<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_kms::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws(service, operation, err).into()
    }

    /// [`Error::aws`] with what the call was about (`function NAME`, `api ID`)
    /// in parentheses after the SDK's message.
    pub fn aws_about<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_kms::error::SdkError<E, R>,
        about: impl Display,
    ) -> Self
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws_about(service, operation, err, about).into()
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

/// The tokens crate's errors, one to one.
impl From<tokens::Error> for Error {
    fn from(e: tokens::Error) -> Self {
        match e {
            tokens::Error::Invalid(m) => Self::Invalid(m),
            tokens::Error::Unavailable(m) => Self::Unavailable(m),
            tokens::Error::Aws { line, source } => Self::Aws { line, source },
            tokens::Error::Key(e) => Self::Key(e),
            tokens::Error::KmsSign(e) => Self::KmsSign(e),
            tokens::Error::Spec(e) => Self::Spec(e),
            tokens::Error::Config(e) => Self::Config(e),
            tokens::Error::Context { context, source } => Self::Context {
                context,
                source: Box::new(Self::from(*source)),
            },
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// The scenarios' errors: a control-plane call stays [`Error::Aws`], a
/// stop [`Error::Interrupted`]; the rest are [`Error::Scenario`].
impl From<scenarios::Error> for Error {
    fn from(e: scenarios::Error) -> Self {
        match e {
            scenarios::Error::Aws { line, source } => Self::Aws { line, source },
            scenarios::Error::Unavailable(m) => Self::Unavailable(m),
            scenarios::Error::Interrupted => Self::Interrupted,
            scenarios::Error::Plan(m) => Self::Invalid(m),
            scenarios::Error::PlanFile { path, source } => {
                Self::io(format!("--plan {}", path.display()), source)
            }
            scenarios::Error::Emulator(e) => Self::from(*e),
            other => Self::Scenario(other),
        }
    }
}

/// The emulator's errors, one to one: an AWS call that failed stays
/// [`Error::Aws`] whichever crate made it.
impl From<emulator::Error> for Error {
    fn from(e: emulator::Error) -> Self {
        match e {
            emulator::Error::Invalid(m) => Self::Invalid(m),
            emulator::Error::Unavailable(m) => Self::Unavailable(m),
            emulator::Error::Io { what, source } => Self::Io { what, source },
            emulator::Error::Aws { line, source } => Self::Aws { line, source },
            emulator::Error::Lambda(e) => Self::Lambda(e),
            emulator::Error::Http(e) => Self::Http(e),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
