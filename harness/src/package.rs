//! `harness package`: the Lambda deployment zip, reproducibly — `bootstrap`
//! at the root, mode 0755, a fixed timestamp, deflated — from a binary that
//! can run there: a 64-bit little-endian Linux ELF executable for the
//! function's architecture (`x86_64` or `arm64`), with glibc's interpreter
//! when it has one, and no glibc symbol version newer than
//! `provided.al2023`'s 2.34. Anything else is refused before a zip exists:
//! a text file, a macOS (Mach-O) build, or an aarch64 binary for an x86_64
//! function would deploy and then fail every request.

use object::read::elf::{FileHeader, ProgramHeader};
use object::{elf, FileKind, Object};
use std::io::Write;
use std::path::Path;

/// The glibc that `provided.al2023` ships.
pub const AL2023_GLIBC: (u32, u32) = (2, 34);

/// A Lambda function's instruction set architecture (the module's
/// `architecture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `x86_64`.
    X86_64,
    /// `arm64` (Graviton; aarch64 ELF).
    Arm64,
}

impl Architecture {
    /// Every architecture, by its Lambda name.
    pub const ALL: [Self; 2] = [Self::X86_64, Self::Arm64];

    /// Lambda's name: `x86_64` or `arm64`.
    pub fn name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "arm64",
        }
    }

    /// Parses Lambda's name (`aarch64` accepted for `arm64`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "x86_64" | "amd64" => Some(Self::X86_64),
            "arm64" | "aarch64" => Some(Self::Arm64),
            _ => None,
        }
    }

    fn machine(self) -> u16 {
        match self {
            Self::X86_64 => elf::EM_X86_64.0,
            Self::Arm64 => elf::EM_AARCH64.0,
        }
    }

    /// glibc's dynamic loader for this architecture.
    fn glibc_interpreter(self) -> &'static str {
        match self {
            Self::X86_64 => "/lib64/ld-linux-x86-64.so.2",
            Self::Arm64 => "/lib/ld-linux-aarch64.so.1",
        }
    }
}

/// What was packaged.
#[derive(Debug, Clone)]
pub struct Packaged {
    /// Zip size in bytes.
    pub zip_bytes: u64,
    /// Binary size in bytes.
    pub binary_bytes: u64,
    /// Highest `GLIBC_x.y` the binary needs, if any (none: static).
    pub max_glibc: Option<(u32, u32)>,
}

/// What [`inspect`] found in a binary that can run on Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// Highest `GLIBC_x.y` version needed, if any.
    pub max_glibc: Option<(u32, u32)>,
    /// The dynamic loader, if dynamically linked.
    pub interpreter: Option<String>,
}

/// Writes `out` (atomically) from `binary`, for a function of `arch`.
///
/// # Errors
/// [`crate::Error::Invalid`] naming what is wrong with the binary (see
/// [`inspect`]); I/O errors.
pub fn package(binary: &Path, arch: Architecture, out: &Path) -> crate::Result<Packaged> {
    let bytes = std::fs::read(binary).map_err(|e| crate::Error::io(binary.display(), e))?;
    let found = inspect(&bytes, arch)
        .map_err(|why| crate::Error::invalid(format!("--binary {}: {why}", binary.display())))?;
    let data = zip_bootstrap(&bytes)?;
    reports::write_atomic(out, &data).map_err(|e| crate::Error::io(out.display(), e))?;
    Ok(Packaged {
        zip_bytes: data.len() as u64,
        binary_bytes: bytes.len() as u64,
        max_glibc: found.max_glibc,
    })
}

/// Checks that `bytes` is a program Lambda's `provided.al2023` runtime can
/// start for a function of `arch`.
///
/// # Errors
/// One sentence saying what the file is and what was expected.
pub fn inspect(bytes: &[u8], arch: Architecture) -> Result<Inspected, String> {
    let hint = "build it with scripts/build-lambda.sh (docs: README \"Deploy to AWS\")";
    match FileKind::parse(bytes) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => {
            return Err(format!("a 32-bit ELF; Lambda runs 64-bit programs: {hint}"))
        }
        Ok(FileKind::MachO32 | FileKind::MachO64 | FileKind::MachOFat32 | FileKind::MachOFat64) => {
            return Err(format!(
                "a Mach-O file (a macOS build), not a Linux ELF: {hint}"
            ))
        }
        Ok(other) => {
            return Err(format!(
                "a {other:?} file, not a Linux ELF executable: {hint}"
            ))
        }
        Err(_) => return Err(format!("not an executable (no ELF header): {hint}")),
    }
    let file = object::read::elf::ElfFile64::<object::Endianness>::parse(bytes)
        .map_err(|e| format!("a damaged ELF file ({e})"))?;
    let header = file.elf_header();
    let endian = file.endian();
    if !file.is_little_endian() {
        return Err("a big-endian ELF; Lambda's x86_64 and arm64 are little-endian".into());
    }
    let machine = header.e_machine(endian).0;
    if machine != arch.machine() {
        let found = Architecture::ALL
            .into_iter()
            .find(|a| a.machine() == machine)
            .map_or_else(|| format!("machine {machine}"), |a| a.name().to_owned());
        return Err(format!(
            "an ELF for {found}, but the function is {} (--architecture {}): build for {} or deploy with architecture = \"{found}\"",
            arch.name(),
            arch.name(),
            arch.name()
        ));
    }
    let os_abi = header.e_ident().os_abi;
    if os_abi != elf::ELFOSABI_NONE && os_abi != elf::ELFOSABI_GNU {
        return Err(format!(
            "an ELF for another operating system (OS ABI {}), not Linux",
            os_abi.0
        ));
    }
    let e_type = header.e_type(endian);
    if e_type != elf::ET_EXEC && !(e_type == elf::ET_DYN && header.e_entry(endian) != 0) {
        return Err("an ELF that is not an executable (an object file or a library)".into());
    }
    let interpreter = interpreter(&file)?;
    if let Some(interp) = &interpreter {
        if interp != arch.glibc_interpreter() {
            return Err(format!(
                "dynamically linked against {interp}, which provided.al2023 does not have (it has glibc's {}): build for the -gnu target or link statically",
                arch.glibc_interpreter()
            ));
        }
    }
    let max_glibc = max_glibc(&file)?;
    if let Some(v) = max_glibc.filter(|v| *v > AL2023_GLIBC) {
        return Err(format!(
            "needs GLIBC_{}.{}, newer than Amazon Linux 2023's {}.{}: build on an older glibc (cargo lambda / cargo zigbuild with a glibc suffix)",
            v.0, v.1, AL2023_GLIBC.0, AL2023_GLIBC.1
        ));
    }
    Ok(Inspected {
        max_glibc,
        interpreter,
    })
}

type Elf64<'a> = object::read::elf::ElfFile64<'a, object::Endianness>;

fn interpreter(file: &Elf64<'_>) -> Result<Option<String>, String> {
    let endian = file.endian();
    for ph in file.elf_program_headers() {
        if let Some(path) = ph
            .interpreter(endian, file.data())
            .map_err(|e| format!("a damaged ELF file ({e})"))?
        {
            return Ok(Some(String::from_utf8_lossy(path).into_owned()));
        }
    }
    Ok(None)
}

/// The highest `GLIBC_x.y` among the binary's version needs (the
/// `SHT_GNU_verneed` entries every dynamically linked glibc program has).
fn max_glibc(file: &Elf64<'_>) -> Result<Option<(u32, u32)>, String> {
    let endian = file.endian();
    let damaged = |e: object::read::Error| format!("a damaged ELF file ({e})");
    let sections = file.elf_section_table();
    let Some((mut needs, link)) = sections.gnu_verneed(endian, file.data()).map_err(damaged)?
    else {
        return Ok(None);
    };
    let strings = sections
        .strings(endian, file.data(), link)
        .map_err(damaged)?;
    let mut best = None;
    while let Some((_, mut aux)) = needs.next().map_err(damaged)? {
        while let Some(a) = aux.next().map_err(damaged)? {
            let name = a.name(endian, strings).map_err(damaged)?;
            best = best.max(glibc_version(name));
        }
    }
    Ok(best)
}

/// `GLIBC_2.34` → (2, 34); anything else (`GLIBC_PRIVATE`, `GCC_3.0`) → None.
fn glibc_version(name: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(name.strip_prefix(b"GLIBC_")?).ok()?;
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn this_binary() -> Vec<u8> {
        std::fs::read(std::env::current_exe().expect("test binary")).expect("readable")
    }

    #[test]
    fn accepts_a_linux_x86_64_executable_and_reads_its_glibc_needs() {
        let found =
            inspect(&this_binary(), Architecture::X86_64).expect("this test binary runs here");
        let (major, minor) = found.max_glibc.expect("a glibc program needs versions");
        assert_eq!(major, 2);
        assert!(minor >= 2, "{minor}");
        assert_eq!(
            found.interpreter.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
    }

    #[test]
    fn refuses_an_x86_64_binary_for_an_arm64_function() {
        let err = inspect(&this_binary(), Architecture::Arm64).expect_err("wrong architecture");
        assert!(
            err.contains("an ELF for x86_64, but the function is arm64"),
            "{err}"
        );
    }

    #[test]
    fn refuses_text_mach_o_and_object_files() {
        let err = inspect(b"# README\nnot a program\n", Architecture::X86_64).expect_err("text");
        assert!(err.starts_with("not an executable"), "{err}");
        // MH_MAGIC_64 (little-endian), CPU_TYPE_ARM64, MH_EXECUTE, no load commands.
        let mut macho = vec![0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];
        macho.extend([0u8; 24]);
        macho[12] = 2;
        let err = inspect(&macho, Architecture::X86_64).expect_err("mach-o");
        assert!(err.contains("Mach-O"), "{err}");
        let mut relocatable = this_binary();
        relocatable[16] = 1; // e_type = ET_REL
        relocatable[17] = 0;
        let err = inspect(&relocatable, Architecture::X86_64).expect_err("object file");
        assert!(err.contains("not an executable"), "{err}");
    }

    #[test]
    fn refuses_a_glibc_newer_than_al2023s() {
        let mut bytes = this_binary();
        let (major, minor) = inspect(&bytes, Architecture::X86_64)
            .expect("runs here")
            .max_glibc
            .expect("versions");
        // Rewrite the highest version need in the string table to a
        // same-length newer one: GLIBC_2.34 -> GLIBC_2.99.
        let old = format!("GLIBC_{major}.{minor}\0");
        let new = format!("GLIBC_{major}.{}\0", "9".repeat(minor.to_string().len()));
        let at = bytes
            .windows(old.len())
            .position(|w| w == old.as_bytes())
            .expect("version string");
        bytes[at..at + new.len()].copy_from_slice(new.as_bytes());
        let err = inspect(&bytes, Architecture::X86_64).expect_err("too new");
        assert!(
            err.contains(&format!("needs {}", new.trim_end_matches('\0'))),
            "{err}"
        );
        assert!(err.contains("2.34"), "{err}");
    }

    #[test]
    fn reads_glibc_version_names() {
        assert_eq!(glibc_version(b"GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(glibc_version(b"GLIBC_2.34"), Some((2, 34)));
        assert_eq!(glibc_version(b"GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version(b"GCC_3.0"), None);
    }

    #[test]
    fn zip_is_reproducible_with_bootstrap_at_the_root() {
        let a = zip_bootstrap(b"\x7fELF any bytes").expect("zip");
        let b = zip_bootstrap(b"\x7fELF any bytes").expect("zip");
        assert_eq!(a, b, "byte-identical");
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(a)).expect("a zip");
        let f = z.by_index(0).expect("one entry");
        assert_eq!(f.name(), "bootstrap");
        assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o755));
    }
}
