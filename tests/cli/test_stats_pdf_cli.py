"""`stats --pdf FILE`: the report PDF from the command line (suppressed, audited); refusals as
one Japanese line that write nothing."""

import errno

import pytest
from pypdf import PdfReader

from tests.cli.conftest import assert_one_japanese_line
from tests.cli.test_stats_cli import audit_actions, council  # noqa: F401 (fixture)
from tests.store.test_stats_dataset import DATASET_DAY


@pytest.fixture(autouse=True)
def _on_dataset_day(pin_today):
    pin_today(DATASET_DAY)  # build_dataset's records are dated around this day


def test_pdf_is_written_and_audited(cli, council, store_dir, tmp_path):  # noqa: F811
    target = tmp_path / "報告書.pdf"
    code, out, err = cli("stats", "--fiscal-year", "2024", "--pdf", str(target))
    assert code == 0, err
    assert str(target) in out and "令和6年度の統計報告書" in out and "ページ" in out
    text = "\n".join(page.extract_text() for page in PdfReader(str(target)).pages)
    assert "令和6年度（令和6年4月1日～令和7年3月31日）" in text and "テスト村社会福祉協議会" in text
    assert "<3" in text
    [(action, detail)] = audit_actions(store_dir)
    assert action == "stats_pdf.export" and detail["file"] == "報告書.pdf" and detail["period"] == "FY2024"


def test_pdf_refusals_write_nothing(cli, council, store_dir, tmp_path):  # noqa: F811
    for argv in (["--pdf", str(tmp_path / "ない" / "r.pdf")], ["--pdf", str(tmp_path)],
                 ["--pdf", str(tmp_path / "r.pdf"), "--format", "json"],
                 ["--pdf", str(tmp_path / "r.pdf"), "--out", str(tmp_path / "r.csv")]):
        code, out, err = cli("stats", "--fiscal-year", "2024", *argv)
        assert code != 0 and out == "", argv
        assert_one_japanese_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert audit_actions(store_dir) == []


def test_a_full_disk_leaves_no_pdf(cli, council, store_dir, tmp_path, monkeypatch):  # noqa: F811
    from shakyo_desk.domain import safe_file

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safe_file.os, "fsync", full)
    folder = tmp_path / "out"
    folder.mkdir()
    code, out, err = cli("stats", "--fiscal-year", "2024", "--pdf", str(folder / "r.pdf"))
    assert code == 2 and out == "" and "空き" in err and "PDF" in err
    assert list(folder.iterdir()) == []
    assert audit_actions(store_dir) == []
