"""The 操作ガイド (docs/ja): the screenshot script runs and makes every picture the pages use,
each one a real screen (not blank); every picture a page names is committed; links resolve."""

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.ui.guide_screenshots import SHOTS, make_screenshots

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "ja"
IMAGE = re.compile(r"!\[[^\]]*\]\(images/([^)]+\.png)\)")
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)#\s]+)(?:#[^)]*)?\)")
MIN_COLOURS = 24  # a blank or single-colour grab has a handful


def pages() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def referenced() -> dict[str, set[str]]:
    return {p.name: set(IMAGE.findall(p.read_text(encoding="utf-8"))) for p in pages()}


def test_every_picture_a_page_names_is_committed_and_every_link_resolves():
    names = set().union(*referenced().values())
    assert names, "the guide shows screens"
    for name in names:
        assert (GUIDE / "images" / name).is_file(), name
        assert name[:-4] in SHOTS, f"{name} is not made by the script"
    for page in pages():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"
    index = (GUIDE / "README.md").read_text(encoding="utf-8")
    for page in pages():
        assert page.name == "README.md" or f"]({page.name})" in index, f"the index lists {page.name}"


@pytest.mark.usefixtures("qapp")
def test_pages_render_without_stray_marks():
    """Qt's Markdown (like GitHub's) leaves ** as text when bold ends in 」） before a letter."""
    from PySide6.QtGui import QTextDocument

    for page in pages():
        document = QTextDocument()
        document.setMarkdown(page.read_text(encoding="utf-8"))
        stray = [line for line in document.toPlainText().splitlines() if "**" in line or "](" in line]
        assert not stray, f"{page.name}: {stray}"


@pytest.mark.usefixtures("qapp")
def test_the_screenshot_script_makes_every_picture(tmp_path):
    saved = make_screenshots(tmp_path / "images", tmp_path / "work")
    made = {p.name for p in saved}
    wanted = set().union(*referenced().values())
    assert wanted <= made, wanted - made
    for path in saved:
        with Image.open(path) as picture:
            assert picture.width >= 300 and picture.height >= 60, path.name
            colours = picture.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > MIN_COLOURS, f"{path.name} looks blank"
        assert path.stat().st_size < 200_000, f"{path.name} is too large for the guide"
