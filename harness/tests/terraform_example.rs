//! The Terraform example's committed echo function zip is exactly its
//! source (`terraform/examples/complete/echo/index.py`), so what is deployed
//! is what is reviewed.

use std::io::Read;

#[test]
fn the_echo_zip_holds_exactly_the_reviewed_source() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../terraform/examples/complete/echo"
    );
    let source = std::fs::read(format!("{dir}/index.py")).expect("index.py");
    let file = std::fs::File::open(format!("{dir}/echo.zip")).expect("echo.zip");
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    assert_eq!(zip.len(), 1, "only index.py");
    let mut inside = Vec::new();
    zip.by_name("index.py")
        .expect("index.py in the zip")
        .read_to_end(&mut inside)
        .expect("read");
    assert_eq!(
        inside, source,
        "echo.zip is stale: rebuild it with scripts/echo-zip.py"
    );
    let text = String::from_utf8(source).expect("utf-8");
    assert!(
        !text.contains("event.get(\"headers\"") && !text.contains("event[\"headers\"]"),
        "the echo must not return request headers"
    );
}
