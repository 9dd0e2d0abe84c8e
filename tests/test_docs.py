"""The README and docs/ as the repository page shows them: every relative link resolves, every picture is there.

Images must be small enough to render on the repository page (under 200 KB) and be files of this repository, not
paths outside it; links between the README and docs/ are relative. Anchors (`#...`) must name a heading of the
target page, in GitHub's slug form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MAX_IMAGE_BYTES = 200 * 1024
LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)\)")
"""Markdown links and images: `[text](target)` and `![alt](target)`."""
OUTPUTS = ("benchmarks/results/",)
"""Folders that commands write into (git-ignored): a path under them names an output, not a file of the repository."""
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def links(page: Path) -> list[tuple[bool, str]]:
    """(is an image, target) of every link outside code blocks."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [(bang == "!", target) for bang, target in LINK.findall(text)]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def is_external(target: str) -> bool:
    return target.startswith(("http://", "https://", "mailto:"))


def test_the_pages_exist() -> None:
    names = {p.name for p in PAGES}
    for page in ("README.md", "neurosymbolic.md", "codesteer.md", "steer-training.md", "symbench.md", "tui.md"):
        assert page in names
    for page in ("configuration.md", "performance.md", "development.md"):
        assert page in names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    for _, target in links(page):
        if is_external(target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.is_relative_to(REPO), f"{page.name}: {target} points outside the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: no heading #{anchor} in {resolved.name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_image_is_a_small_file_of_the_repository(page: Path) -> None:
    images = [target for image, target in links(page) if image]
    for target in images:
        assert not is_external(target), f"{page.name}: {target} is not a file of the repository"
        path = (page.parent / target).resolve()
        assert path.is_relative_to(REPO / "assets"), f"{page.name}: {target} is not under assets/"
        assert path.is_file(), f"{page.name}: {target} does not exist (make assets)"
        assert path.stat().st_size < MAX_IMAGE_BYTES, f"{target}: {path.stat().st_size} bytes"


def test_the_readme_shows_a_picture_for_each_method() -> None:
    images = {Path(t).name for image, t in links(REPO / "README.md") if image}
    assert {"accuracy.png", "chat.svg", "steer.svg", "help.svg", "pipeline.svg"} <= images


def test_no_page_names_a_spec_file_outside_the_repository() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page.name
        assert not re.search(r"\b(neurosymbolic|codesteer|stack)\.md §", text), page.name


def test_every_repository_path_named_in_code_exists() -> None:
    """A path such as `nsllm_cli/steer/zero3.json` or `benchmarks/gpu_check.py` names a file that is there."""
    for page in PAGES:
        for path in re.findall(
            r"(?<![\w/.])((?:nsllm_cli|benchmarks|assets|tests|docs)/[\w/.-]*[\w/])", page.read_text()
        ):
            if not path.startswith(OUTPUTS):
                assert (REPO / path).exists(), f"{page.name}: {path} is not in the repository"


def test_the_check_catches_a_broken_link(tmp_path: Path) -> None:
    """The link check itself can fail: a page with a missing target is reported."""
    page = tmp_path / "page.md"
    page.write_text("see [x](missing.md) and ![y](gone.png)\n```\n[not a link](nowhere)\n```\n", encoding="utf-8")
    assert links(page) == [(False, "missing.md"), (True, "gone.png")]
    assert not (tmp_path / "missing.md").exists()
    assert slug("Chat: `nsllm chat`") == "chat-nsllm-chat"
    assert slug("The paper's recipe (`--recipe paper`)") == "the-papers-recipe---recipe-paper"
