//! The catalog's content is fixed by a committed list: `harness cases
//! --spec all` prints exactly the ids, families, expectations, references
//! and descriptions of `fixtures/cases.tsv`, in order. The tables can be
//! rearranged freely; what they produce cannot change by accident.

use std::path::Path;
use std::process::Command;

fn field<'a>(case: &'a serde_json::Value, name: &str) -> &'a str {
    case[name].as_str().unwrap_or("-")
}

#[test]
fn cases_match_the_committed_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["cases", "--spec", "all"])
        .output()
        .expect("run harness cases");
    assert!(
        out.status.success(),
        "harness cases failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            [
                field(&case, "id"),
                field(&case, "family"),
                field(&case, "expected"),
                field(&case, "expected_reason"),
                field(&case, "reference"),
                field(&case, "description"),
            ]
            .join("\t")
        })
        .collect();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases.tsv");
    let committed: Vec<String> = std::fs::read_to_string(&fixture)
        .expect("read the committed list")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for (i, (got, want)) in printed.iter().zip(&committed).enumerate() {
        assert_eq!(
            got,
            want,
            "case {} differs from {}",
            i + 1,
            fixture.display()
        );
    }
    assert_eq!(
        printed.len(),
        committed.len(),
        "harness cases printed {} cases, the committed list has {}",
        printed.len(),
        committed.len()
    );
}
