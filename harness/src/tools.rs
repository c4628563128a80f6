//! Python tools the harness runs (moto), kept in the project's own virtual
//! environments under the cache directory — never in the system's
//! site-packages. `.ci/run` uses the same environments.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Why a tool could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Creating the virtual environment or installing the package failed.
    #[error("cannot install {package} into {venv}: {why}")]
    Install {
        /// The pip requirement.
        package: String,
        /// The virtual environment.
        venv: String,
        /// The last line pip or venv printed.
        why: String,
    },
}

/// `$XDG_CACHE_HOME/jwt-authorizer`, else `~/.cache/jwt-authorizer`.
pub(crate) fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("jwt-authorizer")
}

/// The virtual environment for `name`.
pub(crate) fn venv_dir(name: &str) -> PathBuf {
    cache_dir().join("venv").join(name)
}

/// `moto_server`: `$MOTO_SERVER`, else the project's virtual environment,
/// else `moto_server` on PATH; when none exists, the virtual environment is
/// created and `moto[server]` installed into it (one progress line).
///
/// # Errors
/// [`ToolError`] when the install fails.
pub(crate) fn moto_server() -> Result<PathBuf, ToolError> {
    if let Some(p) = std::env::var_os("MOTO_SERVER").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let in_venv = venv_dir("moto").join("bin/moto_server");
    if in_venv.is_file() {
        return Ok(in_venv);
    }
    if on_path("moto_server") {
        return Ok(PathBuf::from("moto_server"));
    }
    ensure_venv_tool("moto", "moto[server]", "moto_server")
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(bin).is_file()))
}

/// Creates `venv_dir(name)` if needed and installs `package` so that
/// `bin/<bin>` exists. Concurrent callers wait on a lock file.
fn ensure_venv_tool(name: &str, package: &str, bin: &str) -> Result<PathBuf, ToolError> {
    let venv = venv_dir(name);
    let tool = venv.join("bin").join(bin);
    let fail = |why: String| ToolError::Install {
        package: package.to_owned(),
        venv: venv.display().to_string(),
        why,
    };
    std::fs::create_dir_all(cache_dir().join("venv")).map_err(|e| fail(e.to_string()))?;
    let lock = std::fs::File::create(cache_dir().join("venv").join(format!("{name}.lock")))
        .map_err(|e| fail(e.to_string()))?;
    lock.lock().map_err(|e| fail(e.to_string()))?;
    if tool.is_file() {
        return Ok(tool);
    }
    eprintln!(
        "installing {package} into {} (first run only)",
        venv.display()
    );
    let python = venv.join("bin/python");
    if !python.is_file() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).map_err(fail)?;
    }
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        package,
    ]))
    .map_err(fail)?;
    if tool.is_file() {
        Ok(tool)
    } else {
        Err(fail(format!(
            "{} is missing after the install",
            tool.display()
        )))
    }
}

/// Runs `cmd`; on failure why: the program that could not start, or the
/// last line it printed.
fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    Err(text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed")
        .trim()
        .to_owned())
}
