//! Finding the authorizer binary that tests and the CLI run.

use std::path::{Path, PathBuf};

/// Where the `authorizer` binary is: `$AUTHORIZER_BIN`, else
/// `<target>/<profile>/authorizer` next to the running executable's target
/// directory (`release` preferred when `prefer_release`).
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
    let target = target_dir().ok_or_else(|| {
        crate::Error::unavailable("cannot locate the cargo target directory; set AUTHORIZER_BIN")
    })?;
    let profiles: &[&str] = if prefer_release {
        &["release", "debug"]
    } else {
        &["debug", "release"]
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
    if target.join("debug").is_dir() || target.join("release").is_dir() {
        Some(target)
    } else {
        Some(workspace_root().join("target"))
    }
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
