#!/usr/bin/env python3
"""Rebuilds terraform/examples/complete/echo/echo.zip from echo/index.py,
reproducibly (fixed timestamp and mode), so the committed zip is exactly the
reviewed source (harness/tests/terraform_example.rs checks it)."""
import pathlib
import zipfile

echo = pathlib.Path(__file__).resolve().parent.parent / "terraform/examples/complete/echo"
info = zipfile.ZipInfo("index.py", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o644 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(echo / "echo.zip", "w") as z:
    z.writestr(info, (echo / "index.py").read_bytes())
print(echo / "echo.zip")
