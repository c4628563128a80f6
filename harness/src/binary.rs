//! Finding the authorizer binary that tests and the CLI run.

use std::path::{Path, PathBuf};

/// Where the `authorizer` binary is: `$AUTHORIZER_BIN`, else
/// `<target>/<profile>/authorizer` next to the running executable's target
/// directory (`release` preferred when `prefer_release`). An installed
/// `harness` (`cargo install`, not in a target directory) looks beside
/// itself, then in `./target/{release,debug}` under the current directory —
/// never in the source tree it was built from.
///
/// # Errors
/// A one-line message with the command that builds it, when it is missing or
/// older than the authorizer's sources (a stale binary would test old code).
pub fn authorizer_binary(prefer_release: bool) -> crate::Result<PathBuf> {
    if let Ok(p) = std::env::var("AUTHORIZER_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(crate::Error::invalid(format!(
                "AUTHORIZER_BIN={} does not exist",
                p.display()
            )))
        };
    }
    let profiles: &[&str] = if prefer_release {
        &["release", "debug"]
    } else {
        &["debug", "release"]
    };
    let Some(target) = target_dir() else {
        return installed(profiles);
    };
    let newest_source = newest_mtime(&workspace_root().join("authorizer/src"));
    let mut stale = None;
    for profile in profiles {
        let p = target.join(profile).join("authorizer");
        if let Ok(meta) = p.metadata() {
            match (meta.modified().ok(), newest_source) {
                (Some(built), Some(src)) if built < src => stale = Some(p),
                _ => return Ok(p),
            }
        }
    }
    let flag = if prefer_release { " --release" } else { "" };
    Err(crate::Error::unavailable(match stale {
        Some(p) => format!(
            "{} is older than authorizer/src; rebuild it: cargo build{flag} -p authorizer",
            p.display()
        ),
        None => format!("the authorizer binary is not built; run: cargo build{flag} -p authorizer"),
    }))
}

/// The workspace root (parent of the harness crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// For an installed `harness`: the `authorizer` beside it, else
/// `./target/<profile>/authorizer`.
fn installed(profiles: &[&str]) -> crate::Result<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("authorizer")));
    let local = profiles
        .iter()
        .map(|p| Path::new("target").join(p).join("authorizer"));
    beside
        .into_iter()
        .chain(local)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            crate::Error::unavailable(
                "no authorizer binary beside this harness or in ./target/release: pass --authorizer PATH, set AUTHORIZER_BIN, or install it (cargo install --path authorizer)",
            )
        })
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, else the one the
/// running executable sits in; `None` for an installed executable.
fn target_dir() -> Option<PathBuf> {
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        let t = PathBuf::from(t);
        return Some(if t.is_absolute() {
            t
        } else {
            workspace_root().join(t)
        });
    }
    // <target>/<profile>/deps/test-binary or <target>/<profile>/harness
    let exe = std::env::current_exe().ok()?;
    let mut dir = exe.parent()?;
    if dir.ends_with("deps") {
        dir = dir.parent()?;
    }
    let target = dir.parent()?.to_path_buf();
    (target.join("debug").is_dir() || target.join("release").is_dir()).then_some(target)
}

fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let m = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().ok()?.modified().ok()
        };
        newest = newest.max(m);
    }
    newest
}
