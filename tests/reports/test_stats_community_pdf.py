"""The 統計報告書 PDF, the CSV and the command line carry the community tables (issue 19),
suppressed as the other figures are: the small store of tests/store/test_stats_community.py."""

import io
import json

from pypdf import PdfReader

from shakyo_desk.reports.stats_csv import csv_bytes
from shakyo_desk.reports.stats_pdf import stats_pdf_bytes
from shakyo_desk.reports.stats_render import render
from shakyo_desk.store.services import stats
from tests.store.conftest import store, store_dir  # noqa: F401 (fixtures)
from tests.store.test_stats_community import TODAY, _on_today, data  # noqa: F401 (fixtures)

TITLES = ("地区別の支え合いの関係", "支え合いの関係（種類別）", "支え合いの関係がない世帯（地区別）",
          "地区別の担い手（目標との比較）", "地域活動（種類別）", "地域課題とその根拠")


def test_the_report_pdf_has_the_community_tables(store, data):  # noqa: F811
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    raw = stats_pdf_bytes(render(figures), today=TODAY)
    flat = "".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages).split())
    for title in TITLES:
        assert f"■{title}" in flat
    assert "冬の雪かき（把握）" in flat and "2024年度の目標" in flat
    assert "支え合いの関係（期間末）" in flat and "地域活動の回数" in flat  # the summary's rows
    assert "青木" not in flat and "石井" not in flat and "架空一" not in flat  # nobody is named


def test_the_csv_hides_the_small_counts(store, data):  # noqa: F811
    body = csv_bytes(render(stats.yearly_figures(store, 2024, today=TODAY))).decode("utf-8-sig")
    part = body.split("■ 地区別の支え合いの関係")[1].split("■")[0]
    assert "北地区,<3,<3,<3,<3" in part and "南地区,<3,<3,<3,0" in part
    assert "地域懇談会,2,20,1" in body  # counts of activities are events: shown


def test_the_command_line_json_has_them_suppressed(store, data, store_dir, capsys, monkeypatch):  # noqa: F811
    from shakyo_desk.cli import main

    store.close()
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "correct horse 1")
    monkeypatch.setenv("SHAKYO_FAST_KDF", "1")
    code = main(["stats", "--fiscal-year", "2024", "--format", "json", "--store", str(store_dir), "--user", "admin"])
    out, err = capsys.readouterr()
    assert code == 0, err
    tables = {t["key"]: t for t in json.loads(out)["tables"]}
    assert set(stats.TABLE_KEYS) == set(tables)
    rows = {r["label"]: r["values"] for r in tables["supporters_by_district"]["rows"]}
    assert rows["北地区"] == ["<3", "<3", "<3", 7] and rows["計"][3] == 10
    rows = {r["label"]: r["values"] for r in tables["activities_by_type"]["rows"]}
    assert rows["地域懇談会"] == [2, 20, 1]
