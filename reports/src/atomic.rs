//! Atomic file writes: write a sibling temporary file, flush it, rename it
//! over the destination. A reader never sees half a report.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// Any I/O error; the destination is then untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, bytes, None)
}

/// [`write_atomic`] for a secret (a private key): the file is created
/// readable and writable by its owner only (0600) before any byte is
/// written, so no other user can read it at any moment.
///
/// # Errors
/// As [`write_atomic`].
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, bytes, Some(0o600))
}

fn write_atomic_with(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            // A leftover temporary file would keep its old permissions.
            let _ = std::fs::remove_file(&tmp);
            options.mode(mode);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes every `(path, bytes)` of `set`, all or none: each is written and
/// synced to a temporary file beside its destination; then each existing
/// destination is moved aside, each temporary file renamed into place, and
/// the old files removed. A failure at any step removes what was written
/// and puts the old files back, so the destinations hold either the whole
/// old set or the whole new one.
///
/// # Errors
/// The path that failed and why.
pub fn publish_set(
    set: &[(std::path::PathBuf, &[u8])],
) -> Result<(), (std::path::PathBuf, std::io::Error)> {
    let pid = std::process::id();
    let beside = |path: &Path, what: &str| {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        dir.join(format!(".{name}.{what}.{pid}"))
    };
    // 1. Stage every new file.
    let mut staged = Vec::new();
    for (path, bytes) in set {
        let tmp = beside(path, "new");
        if let Err(e) = stage(&tmp, bytes) {
            for t in staged.iter().chain([&tmp]) {
                let _ = std::fs::remove_file(t);
            }
            return Err((path.clone(), e));
        }
        staged.push(tmp);
    }
    // 2. Move the old set aside; 3. put the new one in place.
    let mut aside: Vec<(std::path::PathBuf, std::path::PathBuf)> = Vec::new();
    let mut placed: Vec<&std::path::PathBuf> = Vec::new();
    let mut failure = None;
    for (path, _) in set {
        if path.is_dir() {
            // Never moved aside: a directory is not part of a report.
            failure = Some((
                path.clone(),
                std::io::Error::other("a directory is in the way"),
            ));
            break;
        }
        if path.symlink_metadata().is_ok() {
            let old = beside(path, "old");
            if let Err(e) = std::fs::rename(path, &old) {
                failure = Some((path.clone(), e));
                break;
            }
            aside.push((path.clone(), old));
        }
    }
    if failure.is_none() {
        for ((path, _), tmp) in set.iter().zip(&staged) {
            if let Err(e) = std::fs::rename(tmp, path) {
                failure = Some((path.clone(), e));
                break;
            }
            placed.push(path);
        }
    }
    if let Some(f) = failure {
        for p in placed {
            let _ = std::fs::remove_file(p);
        }
        for t in &staged {
            let _ = std::fs::remove_file(t);
        }
        for (path, old) in aside {
            let _ = std::fs::rename(old, path);
        }
        return Err(f);
    }
    // 4. The old set goes.
    for (_, old) in aside {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

fn stage(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = tmp.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::File::create(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = std::env::temp_dir().join(format!("reports-atomic-{}", std::process::id()));
        let p = dir.join("a/b.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_set_is_published_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("atomic-set-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
        publish_set(&[(a.clone(), b"a1"), (b.clone(), b"b1"), (c.clone(), b"c1")]).expect("first");
        // `c` becomes a directory: no file can replace it, so the second
        // set is refused and the first stays whole.
        std::fs::remove_file(&c).expect("rm");
        std::fs::create_dir(&c).expect("dir c");
        std::fs::write(c.join("keep"), b"x").expect("keep");
        let e = publish_set(&[(a.clone(), b"a2"), (b.clone(), b"b2"), (c.clone(), b"c2")])
            .expect_err("c cannot be replaced");
        assert_eq!(e.0, c);
        assert_eq!(std::fs::read(&a).expect("a"), b"a1");
        assert_eq!(std::fs::read(&b).expect("b"), b"b1");
        let left: Vec<String> = std::fs::read_dir(&dir)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        // Replaceable again: the whole new set.
        std::fs::remove_dir_all(&c).expect("rm c");
        publish_set(&[(a.clone(), b"a3"), (b.clone(), b"b3"), (c.clone(), b"c3")]).expect("third");
        for (p, want) in [(&a, b"a3"), (&b, b"b3"), (&c, b"c3")] {
            assert_eq!(std::fs::read(p).expect("read"), want);
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
