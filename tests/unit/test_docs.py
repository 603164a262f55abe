"""The docs stay light and connected: a short README, links that resolve, module docstrings that state."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 300
DOCSTRING_MAX_LINES = 15


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, where links and headings mean something."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lower-cased, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a page offers, repeated headings numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    """Link targets outside code, a link's text free to wrap, without those naming a scheme (https:)."""
    prose = re.sub(r"`[^`\n]*`", "", "\n".join(prose_lines(page.read_text(encoding="utf-8"))))
    return [target for target in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def broken(page: Path, target: str) -> str | None:
    """Why a relative link from `page` does not resolve, or None when it does."""
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    if not destination.exists():
        return f"{target}: no such file"
    if anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
        return f"{target}: no heading with anchor #{anchor}"
    return None


def test_slug_follows_github_for_code_punctuation_and_case() -> None:
    # Given headings with code, punctuation and capitals
    # When they are slugged
    # Then the anchors are GitHub's
    assert slug("Retry (`retry_of`)") == "retry-retry_of"
    assert slug("Async semantics: what a client relies on") == "async-semantics-what-a-client-relies-on"
    assert slug("Tables, keys & messages") == "tables-keys--messages"


def test_readme_fits_in_a_few_screens() -> None:
    # Given the README
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    # Then it is a front door, not a manual
    assert len(lines) <= README_MAX_LINES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_relative_links_resolve_to_files_and_headings(page: Path) -> None:
    # Given a page of the docs
    # When each of its relative links is followed
    failures = [reason for target in relative_links(page) if (reason := broken(page, target))]
    # Then every one reaches a file, and a heading of it when it names one
    assert failures == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_docs_name_no_path_outside_the_repository(page: Path) -> None:
    # Given a page of the docs
    text = page.read_text(encoding="utf-8")
    # Then it names nothing above the repository
    assert "../shared" not in text and "shared/" not in text


def test_module_docstrings_state_in_at_most_fifteen_lines() -> None:
    # Given every module under chalicelib/
    modules = sorted((ROOT / "chalicelib").rglob("*.py"))
    # When their docstrings are measured
    long = {path.relative_to(ROOT).as_posix() for path in modules
            if len((ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").splitlines())
            > DOCSTRING_MAX_LINES}
    # Then none runs past fifteen lines
    assert long == set()


def test_docs_named_from_the_code_resolve() -> None:
    # Given every `docs/<page>.md#<anchor>` a module of chalicelib names (docstrings point there for the why)
    named = {(path.relative_to(ROOT).as_posix(), target)
             for path in sorted((ROOT / "chalicelib").rglob("*.py"))
             for target in re.findall(r"docs/[A-Za-z_]+\.md(?:#[a-z0-9_-]+)?", path.read_text(encoding="utf-8"))}
    # When each is resolved from the repository's root
    problems = [f"{module}: {problem}" for module, target in sorted(named)
                if (problem := broken(ROOT / "README.md", target))]
    # Then each names a page and heading that exist
    assert problems == []
