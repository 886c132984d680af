"""Every ``spec §N`` the code cites names a section of docs/spec/lash-domain.md.

``§N`` / ``§N.M`` is a heading (``## 12.``, ``### 12.2``) or the M-th numbered item of section N
(``§16.12`` is quirk 12 of "16. Surprises"); a range (``§1-§9``, ``§15.6-7``) needs both ends.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "spec" / "lash-domain.md"
SOURCES = ("checkpoint", "activities", "workflows", "tests")
_CITE = re.compile(r"§ ?(\d+(?:\.\d+)*)(?:-§?(\d+(?:\.\d+)*))?")
_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)*)[. ]")
_ITEM = re.compile(r"^(\d+)\. ")


def spec_sections(text: str) -> set[str]:
    """Section ids of the spec: headings, and numbered items under the nearest heading."""
    ids: set[str] = set()
    current: str | None = None
    for line in text.splitlines():
        if heading := _HEADING.match(line):
            current = heading.group(1)
            ids.add(current)
        elif current is not None and (item := _ITEM.match(line)):
            ids.add(f"{current}.{item.group(1)}")
    return ids


def cited(text: str) -> set[str]:
    """Section ids a text cites; a range contributes both of its ends."""
    ids: set[str] = set()
    for match in _CITE.finditer(text):
        start, end = match.group(1), match.group(2)
        ids.add(start)
        if end is not None:
            ids.add(end if "." in end or "." not in start else start.rsplit(".", 1)[0] + "." + end)
    return ids


def test_the_spec_the_code_cites_is_in_the_repository() -> None:
    """docs/spec holds the vendored spec and says where § numbers point."""
    assert SPEC.is_file()
    assert "lash-domain.md" in (SPEC.parent / "README.md").read_text(encoding="utf-8")


def test_every_cited_section_exists() -> None:
    """No docstring or comment cites a § the spec does not have."""
    sections = spec_sections(SPEC.read_text(encoding="utf-8"))
    missing: list[str] = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for ref in sorted(cited(path.read_text(encoding="utf-8")) - sections):
                missing.append(f"{path.relative_to(ROOT)}: §{ref}")
    assert not missing, "cited sections missing from docs/spec/lash-domain.md:\n" + "\n".join(
        missing
    )


def test_a_range_needs_both_ends() -> None:
    """``§15.6-7`` cites 15.6 and 15.7; ``§1-§9`` cites 1 and 9."""
    assert cited("spec §15.6-7 and §1-§9") == {"15.6", "15.7", "1", "9"}
