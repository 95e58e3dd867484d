"""支え合いマップ PDF (issue 19): the text on paper — title, district, 和暦, 取扱注意, legend;
no name when minimised, names when allowed; A3 or A4 landscape; logged as an export."""

import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.support_map_pdf import export_map
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import ties
from shakyo_desk.store.services.audit_log import action_label
from tests.store.conftest import store, store_dir  # noqa: F401 (fixtures)
from tests.store.test_support_map import DAY, NAMES, make_village


@pytest.fixture
def village(store, pin_today):
    pin_today(DAY)
    return make_village(store)


def _text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages).replace(" ", "").replace("\n", "")


def _exports(store) -> list:
    with store.read() as s:
        return s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "support_map_pdf.export")).scalars().all()


def test_the_minimised_map_on_a3(store, village, tmp_path):
    out = tmp_path / "map.pdf"
    export_map(store, village["north"], out)
    reader = PdfReader(out)
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (1191, 842)  # A3 landscape
    text = _text(out)
    for words in ("支え合いマップ", "北地区", format_wareki(DAY), "取扱注意", "上集落", "下集落", "凡例",
                  "名前は載せていません", "つながりなし", "1年以上未確認", "多くを担う", "住＝住民", "見守り",
                  "離れて住む親族"):
        assert words.replace(" ", "") in text, words
    assert not [name for name in NAMES if name.replace(" ", "") in text]
    [detail] = _exports(store)
    detail = detail if isinstance(detail, dict) else json.loads(detail)
    assert (detail["file"], detail["names"], detail["households"]) == ("map.pdf", False, 8)


def test_then_one_page_per_shuraku_zoomed_to_it(store, village, tmp_path):
    """A 懇談会 is held in one 集落: after the district's map, each 集落 on its own page, with its
    own counts; a map of one 集落 alone has just its page."""
    out = tmp_path / "map.pdf"
    export_map(store, village["north"], out)
    pages = [page.extract_text().replace(" ", "").replace("\n", "") for page in PdfReader(out).pages]
    assert len(pages) == 3
    assert "北地区・上集落" in pages[1] and "この集落：世帯2・つながりなし0" in pages[1]
    assert "北地区・下集落" in pages[2] and "この集落：世帯6・つながりなし1" in pages[2]
    assert all("取扱注意" in page and "凡例" in page for page in pages)
    export_map(store, village["upper"], out)
    assert len(PdfReader(out).pages) == 1


def test_names_on_a4_when_allowed(store, village, tmp_path):
    ties.end_tie(store, village["stale"], DAY)
    out = tmp_path / "named.pdf"
    export_map(store, village["upper"], out, names=True, paper="A4")
    width, _ = (float(v) for v in PdfReader(out).pages[0].mediabox.upper_right)
    assert round(width) == 842  # A4 landscape
    text = _text(out)
    for name in ("山田 ハル", "田中 トメ", "隣の 田中"):
        assert name.replace(" ", "") in text
    assert "佐藤キヨ" not in text  # 下集落 is not on this map


def test_names_refused_writes_nothing(store, village, tmp_path):
    out = tmp_path / "refused.pdf"
    with pytest.raises(InvalidInput, match="名前を伏せたマップは印刷できます"):
        export_map(store, village["north"], out, names=True)
    assert not out.exists() and _exports(store) == []


def test_the_export_has_a_japanese_label():
    assert action_label("support_map_pdf.export", {}) == "支え合いマップ（PDF）の出力"


def test_a_large_map_with_names_continues_on_further_pages(store, village, tmp_path):
    from shakyo_desk.store.services import households

    for n in range(220):
        households.add_household(store, village["upper"], f"架空 {n:03d}", "カクウ", flags=["一人暮らし高齢者"])
    ties.end_tie(store, village["stale"], DAY)
    out = tmp_path / "big.pdf"
    export_map(store, village["upper"], out, names=True)
    reader = PdfReader(out)
    assert len(reader.pages) >= 2
    text = _text(out)
    assert "架空000" in text and "架空219" in text
