"""Compare two .xlsx files part by part, XlsxWriter's way: each XML part as its list of
tags and texts, with what changes on every issue (times, the issue id, the spec hash,
the signature, xltool's version) blanked. Any other difference (a format, a validation,
a protection flag, a formula) shows as the first differing tags of the part.

    python -m tests.golden OLD.xlsx NEW.xlsx     # compare two files
    python -m tests.golden --write               # re-issue the golden files (review the diff!)
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

_VOLATILE = [
    # document properties: created/modified times, the version that issued it
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "TIME"),
    (re.compile(r"Issued by xltool [^<]*"), "Issued by xltool VERSION"),
    # the metadata sheet's and custom properties' values that change per issue or release
    (re.compile(r"\b[0-9a-f]{64}\b"), "HASH"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "ISSUE-ID"),
    (re.compile(r"\b\d+\.\d+\.\d+(?:[.+-][0-9A-Za-z.]+)?\b"), "VERSION"),
]


def tags(xml: str) -> list[str]:
    for pattern, replacement in _VOLATILE:
        xml = pattern.sub(replacement, xml)
    return [t.strip() for t in re.findall(r"<[^>]*>|[^<]+", xml) if t.strip()]


def parts(path: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(path) as zf:
        return {
            name: tags(zf.read(name).decode("utf-8"))
            for name in sorted(zf.namelist())
            if name.endswith((".xml", ".rels"))
        }


def differences(expected: Path, got: Path, context: int = 3) -> list[str]:
    """One line per part that differs (or is missing), with its first differing tags."""
    want, have = parts(expected), parts(got)
    out = []
    for name in sorted(set(want) | set(have)):
        a, b = want.get(name), have.get(name)
        if a is None or b is None:
            out.append(f"{name}: only in {'the new file' if a is None else 'the golden file'}")
            continue
        if a != b:
            i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
            out.append(
                f"{name}: tag {i}: golden {a[max(0, i - context) : i + context]} "
                f"!= new {b[max(0, i - context) : i + context]}"
            )
    return out


GOLDEN = Path(__file__).parent / "golden"
SAMPLES = Path(__file__).parent.parent / "sample_workbooks"
FORMS = ("yuelu-commerce-2019", "project-2019-farm-markets", "dept-2021-10-90")


def issue(name: str, target: Path) -> None:
    """The sample's form as ``xltool new`` issues it, at a fixed time and issue id."""
    import json

    from xltool.forms.kinds import load_builtin
    from xltool.forms.write import IssueInfo, write_form
    from xltool.round.issue import read_data

    path = SAMPLES / f"{name}.json"
    spec = load_builtin(json.loads(path.read_text(encoding="utf-8"))["kind"])
    info = IssueInfo(issued_at="2026-01-01T00:00:00+00:00", issue_id="0" * 32)
    write_form(target, spec, read_data(spec, path)[0], info=info)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    for form in FORMS:
        issue(form, GOLDEN / f"{form}.xlsx")
        print(GOLDEN / f"{form}.xlsx")
elif __name__ == "__main__":
    found = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "same")
    sys.exit(1 if found else 0)
