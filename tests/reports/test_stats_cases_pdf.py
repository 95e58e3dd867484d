"""The 統計報告書 PDF and CSV carry the case-work tables (issue 18) with the same suppression as
the screen's export: the text pypdf extracts from the report of tests/store/test_stats_cases.py."""

import io

from pypdf import PdfReader

from shakyo_desk.reports.stats_csv import csv_bytes
from shakyo_desk.reports.stats_pdf import stats_pdf_bytes
from shakyo_desk.reports.stats_render import render
from shakyo_desk.store.services import stats
from tests.store.conftest import store, store_dir  # noqa: F401 (fixtures)
from tests.store.test_stats_cases import TODAY, _on_today, data  # noqa: F401 (fixtures)


def test_the_report_pdf_has_the_case_tables(store, data):  # noqa: F811
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    raw = stats_pdf_bytes(render(figures), today=TODAY)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    flat = "".join(text.split())
    for title in ("地区別の支援ケース", "ケースの終結までの日数", "地区別のモニタリング（目標の見直し）", "地区別の地域課題"):
        assert f"■{title}" in flat
    assert "中央値（日）" in flat and "うち期限内" in flat
    assert "冬の除雪の担い手がいない" in flat and "移動手段がない" in flat  # the 年度's titles
    assert "74.3" in flat  # the mean over all three closures is shown…
    assert "青木" not in flat and "江口" not in flat  # …and no household is named


def test_the_csv_has_the_case_tables_suppressed(store, data):  # noqa: F811
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    body = csv_bytes(render(figures)).decode("utf-8-sig")
    assert "地区別の支援ケース" in body
    assert "ケースの終結までの日数" in body
    north = [line.split(",") for line in body.splitlines() if line.startswith("北地区,")]
    assert ["北地区", "<3", "<3", "<3"] in [row[:4] for row in north]  # 2 opened, 1 open, 1 closed: all small
    assert "71" not in body.split("ケースの終結までの日数")[0].split("地区別の支援ケース")[-1]
