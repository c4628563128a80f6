//! A `moto_server` child process: a real KMS-compatible endpoint on
//! 127.0.0.1, on a port the OS picked, stopped by its PID on drop. Found (or
//! installed into the project's virtual environment) by `tools::moto_server`.
//!
//! It dies with the harness whatever kills the harness (SIGKILL included):
//! moto runs under its own Python with a thread that reads a pipe from the
//! harness and ends the process when the pipe closes — which the kernel
//! does when the harness exits, however it exits. (A `moto_server` that is
//! not a Python script is started as it is, without that watch.)

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
    /// The pipe moto watches: never written; closed when the harness
    /// exits, which ends moto.
    _lifeline: Option<std::process::ChildStdin>,
}

/// Runs moto's server in this Python process, ending it when standard
/// input closes (the harness's end of the pipe: it exited).
const WATCHED_MOTO: &str = "\
import os, sys, threading
def watch():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
";

/// The interpreter of a Python script (its `#!` line), if it is one.
fn python_of(script: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::io::BufRead;
    let f = std::fs::File::open(script).ok()?;
    let mut first = String::new();
    std::io::BufReader::new(f).read_line(&mut first).ok()?;
    let interpreter = first.strip_prefix("#!")?.trim();
    let path = std::path::PathBuf::from(interpreter.split_whitespace().next()?);
    let name = path.file_name()?.to_string_lossy().into_owned();
    (name.starts_with("python") && path.is_file()).then_some(path)
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
        let server = crate::tools::moto_server()?;
        let port_arg = port.to_string();
        let args = ["-H", "127.0.0.1", "-p", port_arg.as_str()];
        let mut child = match python_of(&server) {
            Some(python) => Command::new(python)
                .args(["-c", WATCHED_MOTO])
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
            None => Command::new(&server)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        };
        let lifeline = child.stdin.take();
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Self {
            child,
            endpoint,
            _lifeline: lifeline,
        };
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

    /// The server's process id (to signal it, as the fault tests do).
    pub fn pid(&self) -> u32 {
        self.child.id()
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
