"""Docs and scripts are for users: no paths of the machine they were written on, no links to
files outside the repository, no first-person notes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Paths that only exist on a particular machine (home folders, scratch and work areas).
# System locations a script configures (/usr, /etc, /dev) are fine.
MACHINE_PATH = re.compile(r"(?<![\w$.~-])/(?:work|root|home|Users|tmp|mnt|opt|srv|scratch)/")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_PATH = re.compile(r"`(\.\./[^`\s]*)`")
FIRST_PERSON = re.compile(r"\b(?:I(?!/)|me|my|we|our|us)\b")  # I/O is not a person


def files() -> list[Path]:
    found = [p for p in (ROOT / "docs").rglob("*.md")]
    found += [p for p in (ROOT / "scripts").iterdir() if p.is_file()]
    found.append(ROOT / "README.md")
    return sorted(found)


def prose(path: Path) -> list[tuple[int, str]]:
    """Lines of prose: a Markdown file's text outside code blocks, a script's comments."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if path.suffix == ".md":
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced:
                lines.append((n, re.sub(r"`[^`]*`", "", line)))
        elif line.lstrip().startswith("#") and not line.startswith("#!"):
            lines.append((n, line))
    return lines


def test_the_checks_see_the_files() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in files()}
    assert {"docs/protocol.md", "docs/compatibility.md", "scripts/audio-rig.sh"} <= names
    assert MACHINE_PATH.search("see /work/shared/x.md") and not MACHINE_PATH.search("$TMPDIR/x")
    assert FIRST_PERSON.search("which I don't own") and not FIRST_PERSON.search("I/O")


def test_no_machine_paths() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files()
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]
    assert hits == []


def test_links_stay_inside_the_repository_and_resolve() -> None:
    bad: list[str] = []
    for p in files():
        if p.suffix != ".md":
            continue
        text = p.read_text()
        for target in MD_LINK.findall(text):
            if re.match(r"[a-z]+://|mailto:|#", target):
                continue  # a web page, or an anchor on this page
            resolved = (p.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                bad.append(f"{p.relative_to(ROOT)}: {target}")
        for target in CODE_PATH.findall(text):
            if not (p.parent / target).resolve().is_relative_to(ROOT):
                bad.append(f"{p.relative_to(ROOT)}: {target}")
    assert bad == []


def test_no_first_person_notes() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files()
        for n, line in prose(p)
        if FIRST_PERSON.search(line)
    ]
    assert hits == []
