//! A `moto_server` child process: a real KMS-compatible endpoint on
//! 127.0.0.1, on a port the OS picked, stopped by its PID on drop. Found (or
//! installed into the project's virtual environment) by `tools::moto_server`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// `moto_server` could not be found or installed.
    #[error("{0}")]
    NotInstalled(#[from] crate::tools::ToolError),
    /// It started but never accepted connections.
    #[error("moto_server did not start listening on {0} within 30 s")]
    NotListening(String),
    /// Spawning or port selection failed.
    #[error("could not start moto_server: {0}")]
    Io(#[from] std::io::Error),
}

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    /// Starts `moto_server` on a free loopback port and waits until it answers.
    ///
    /// # Errors
    /// [`MotoError`].
    pub fn start() -> Result<Self, MotoError> {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let child = Command::new(crate::tools::moto_server()?)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Self { child, endpoint };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(moto);
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(MotoError::Io(std::io::Error::other(format!(
                    "moto_server exited: {status}"
                ))));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(MotoError::NotListening(moto.endpoint.clone()))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Environment for an AWS SDK client (or the authorizer) talking to moto.
    pub fn sdk_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL_KMS", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
