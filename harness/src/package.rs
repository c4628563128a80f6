//! `harness package`: the Lambda deployment zip, reproducibly — `bootstrap`
//! at the root, mode 0755, a fixed timestamp, deflated — and the binary's
//! highest required glibc symbol version (Amazon Linux 2023 has 2.34).

use std::io::Write;
use std::path::Path;

/// The glibc that `provided.al2023` ships.
pub const AL2023_GLIBC: (u32, u32) = (2, 34);

/// What was packaged.
#[derive(Debug, Clone)]
pub struct Packaged {
    /// Zip size in bytes.
    pub zip_bytes: u64,
    /// Binary size in bytes.
    pub binary_bytes: u64,
    /// Highest `GLIBC_x.y` the binary references, if any.
    pub max_glibc: Option<(u32, u32)>,
}

/// Writes `out` (atomically) from `binary`.
///
/// # Errors
/// I/O errors, or a binary that needs a newer glibc than AL2023 has.
pub fn package(binary: &Path, out: &Path) -> crate::Result<Packaged> {
    let bytes = std::fs::read(binary).map_err(|e| crate::Error::io(binary.display(), e))?;
    let max_glibc = max_glibc(&bytes);
    if let Some(v) = max_glibc {
        if v > AL2023_GLIBC {
            return Err(crate::Error::unavailable(format!(
                "{} needs GLIBC_{}.{}, newer than Amazon Linux 2023's 2.34",
                binary.display(),
                v.0,
                v.1
            )));
        }
    }
    let data = zip_bootstrap(&bytes)?;
    reports::write_atomic(out, &data).map_err(|e| crate::Error::io(out.display(), e))?;
    Ok(Packaged {
        zip_bytes: data.len() as u64,
        binary_bytes: bytes.len() as u64,
        max_glibc,
    })
}

/// `binary` as a Lambda zip: `bootstrap` at the root, mode 0755, a fixed
/// timestamp, deflated.
///
/// # Errors
/// The zip writer failed.
pub fn zip_bootstrap(binary: &[u8]) -> crate::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9))
            .unix_permissions(0o755)
            .last_modified_time(zip::DateTime::default());
        zip.start_file("bootstrap", opts)?;
        zip.write_all(binary)
            .map_err(|e| crate::Error::io("zip: bootstrap", e))?;
        zip.finish()?;
    }
    Ok(buf.into_inner())
}

/// The highest `GLIBC_x.y` version string in an ELF binary's bytes (its
/// version-needed entries name every glibc version it requires).
pub fn max_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_";
    let mut best = None;
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + pos + needle.len();
        let end = bytes[start..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(bytes.len(), |p| start + p);
        if let Ok(text) = std::str::from_utf8(&bytes[start..end]) {
            let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
            if let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) {
                best = best.max(Some((major, minor)));
            }
        }
        i = end.max(start);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_highest_glibc() {
        assert_eq!(
            max_glibc(b"xxGLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0GLIBC_PRIVATE"),
            Some((2, 34))
        );
        assert_eq!(max_glibc(b"nothing"), None);
    }

    #[test]
    fn zip_is_reproducible_with_bootstrap_at_the_root() {
        let dir = std::env::temp_dir().join(format!("pkg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("authorizer");
        std::fs::write(&bin, b"\x7fELF fake GLIBC_2.28\0").unwrap();
        let (a, b) = (dir.join("a.zip"), dir.join("b.zip"));
        let p = package(&bin, &a).unwrap();
        package(&bin, &b).unwrap();
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "byte-identical"
        );
        assert_eq!(p.max_glibc, Some((2, 28)));
        let mut z = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
        let f = z.by_index(0).unwrap();
        assert_eq!(f.name(), "bootstrap");
        assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o755));
        std::fs::write(&bin, b"GLIBC_2.38").unwrap();
        assert!(package(&bin, &dir.join("c.zip"))
            .unwrap_err()
            .to_string()
            .contains("2.38"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
