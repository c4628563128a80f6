#!/usr/bin/env python3
"""The Terraform modules' README tables, held to the code.

`terraform-docs.py check` fails (exit 1, naming each) when a module's
README.md lacks a row for one of its variables or outputs, or has a row for
one that no longer exists; `terraform-docs.py print DIR` prints the two
tables for DIR from its .tf files (name, description, type, default), to
paste into the README. Modules: terraform/ and terraform/modules/*.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "terraform"
MODULES = [ROOT] + sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir())


def blocks(text, kind):
    """(name, body) of each top-level `kind "name" { ... }` block."""
    out = []
    for m in re.finditer(r'(?m)^%s "([^"]+)" \{\n' % kind, text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1), text[m.end():i - 1]))
    return out


def declared(module):
    text = "\n".join(p.read_text() for p in sorted(module.glob("*.tf")))
    return blocks(text, "variable"), blocks(text, "output")


def attr(body, name):
    m = re.search(r'(?m)^  %s\s*=\s*(.+)$' % name, body)
    return m.group(1).strip() if m else None


def table(variables, outputs):
    rows = ["| input | description | type | default |", "|---|---|---|---|"]
    for name, body in variables:
        desc = (attr(body, "description") or '""').strip('"').replace("|", "\\|").replace('\\"', '"')
        typ = (attr(body, "type") or "any").replace("|", "\\|")
        if typ.endswith("({"):
            typ = typ + "…}))"
        default = attr(body, "default")
        default = "required" if default is None else "`%s`" % default.replace("|", "\\|")
        rows.append("| `%s` | %s | `%s` | %s |" % (name, desc, typ, default))
    rows += ["", "| output | description |", "|---|---|"]
    for name, body in outputs:
        desc = (attr(body, "description") or '""').strip('"').replace("|", "\\|").replace('\\"', '"')
        rows.append("| `%s` | %s |" % (name, desc))
    return "\n".join(rows)


def check():
    problems = []
    for module in MODULES:
        readme = module / "README.md"
        rel = module.relative_to(ROOT.parent)
        if not readme.exists():
            problems.append(f"{rel}: no README.md")
            continue
        text = readme.read_text()
        rows = set(re.findall(r"(?m)^\| `([A-Za-z0-9_]+)` \|", text))
        variables, outputs = declared(module)
        names = {n for n, _ in variables} | {n for n, _ in outputs}
        for n in sorted(names - rows):
            problems.append(f"{rel}/README.md: no row for `{n}`")
        for n in sorted(rows - names):
            problems.append(f"{rel}/README.md: a row for `{n}`, which {rel} does not declare")
    for p in problems:
        print(p)
    print(f"terraform docs: {len(MODULES)} modules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["print"]:
        print(table(*declared(pathlib.Path(sys.argv[2]).resolve())))
    elif sys.argv[1:] == ["check"]:
        sys.exit(check())
    else:
        print(__doc__)
        sys.exit(2)
