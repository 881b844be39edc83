#!/usr/bin/env python3
"""Every relative link of README.md and docs/*.md resolves: the file exists
and, for a Markdown file, so does the heading its anchor names. Links to
http(s) and mailto: are not checked (no network). `make lint` runs this;
tests/e2e/test_readme.py reuses its readers. Standard library only."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def documents():
    """README.md and docs/*.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def headings(text):
    """(level, title) of each Markdown heading outside fenced code."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"(#{1,6}) (.*)", line)):
            out.append((len(m.group(1)), m.group(2).strip()))
    return out


def slug(title):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def links(text):
    """Targets of the inline links outside fenced code."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def broken_links():
    broken = []
    for doc in documents():
        for target in links(doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in {
                    slug(t) for _, t in headings(file.read_text())}:
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    return broken


if __name__ == "__main__":
    broken = broken_links()
    for line in broken:
        print(line, file=sys.stderr)
    sys.exit(1 if broken else 0)
