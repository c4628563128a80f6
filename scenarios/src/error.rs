//! What can stop a scenario or a load plan, by kind, each keeping its
//! source.

/// What can stop a scenario or a load plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plan value out of range, named by its field.
    #[error("{field} must be a finite number ≥ 0, got {value}")]
    OutOfRange {
        /// The plan field, e.g. `ramp from`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A plan value or flag that is not valid: one line naming it.
    #[error("{0}")]
    Plan(String),
    /// A plan file that cannot be read.
    #[error("--plan {}: {source}", path.display())]
    PlanFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A steps profile without steps.
    #[error("steps: at least one step")]
    NoSteps,
    /// A schedule longer than `arrival::MAX_REQUESTS`.
    #[error("the plan schedules more than {max} requests; lower the rate or the duration")]
    TooManyRequests {
        /// The limit.
        max: usize,
    },
    /// Mixed traffic with no case to send.
    #[error("mixed traffic needs cases")]
    NoCases,
    /// A target URL that does not parse.
    #[error("{url}: {source}")]
    Url {
        /// The URL given.
        url: String,
        /// The parser's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP client failed (connection refused, timeout).
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// goose could not set up or run the attack.
    #[error("{0}")]
    Goose(#[from] Box<goose::GooseError>),
    /// A histogram that did not encode.
    #[error(transparent)]
    Report(#[from] reports::Error),
    /// A control-plane call (Lambda, CloudWatch Logs) that failed or timed
    /// out: the line names the call, its error and what to check.
    #[error("{line}")]
    Aws {
        /// Service, operation, error code and message in one line.
        line: String,
        /// The SDK's error.
        source: emulator::BoxError,
    },
    /// Something the measurement needs did not answer as it must (a first
    /// request that was not a 200, an update that failed or did not finish).
    #[error("{0}")]
    Unavailable(String),
    /// A stop (a signal) ended the measurement.
    #[error("interrupted")]
    Interrupted,
    /// A task that panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
    /// Another error of the emulator's reads.
    #[error(transparent)]
    Emulator(Box<emulator::Error>),
}

impl Error {
    /// [`Error::Plan`].
    pub fn plan(message: impl Into<String>) -> Self {
        Self::Plan(message.into())
    }

    /// [`Error::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(message.into())
    }

    /// [`Error::Aws`] for a failed `service` `operation` call
    /// ([`emulator::Error::aws`]: the same line and hint).
    pub fn aws<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws(service, operation, err).into()
    }

    /// [`Error::aws`] with what the call was about.
    pub fn aws_about<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
        about: impl std::fmt::Display,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws_about(service, operation, err, about).into()
    }
}

/// The emulator's reads' errors: an AWS call stays [`Error::Aws`].
impl From<emulator::Error> for Error {
    fn from(e: emulator::Error) -> Self {
        match e {
            emulator::Error::Aws { line, source } => Self::Aws { line, source },
            emulator::Error::Unavailable(m) => Self::Unavailable(m),
            other => Self::Emulator(Box::new(other)),
        }
    }
}

/// The scenarios' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
