"""The command line's exit-70 path writes a local crash report and says where it is."""

from shakyo_desk import crash_report
from tests.cli.conftest import assert_one_japanese_line

PERSONAL = "山田 花子"


def test_unexpected_error_writes_a_report_without_the_message(cli, initialised, monkeypatch, tmp_path):
    from shakyo_desk.store import check

    def check_store_that_fails(store):
        raise RuntimeError(PERSONAL + "さんの住所が壊れています")

    monkeypatch.setattr(check, "check_store", check_store_that_fails)
    monkeypatch.setenv(crash_report.ENV_LOG_DIR, str(tmp_path / "logs"))
    code, _, err = cli("check")
    assert code == 70
    assert_one_japanese_line(err)
    reports = list((tmp_path / "logs").glob("crash-*.txt"))
    assert len(reports) == 1
    assert f"詳しい記録：{reports[0]}" in err and "山田" not in err
    text = reports[0].read_text("utf-8")
    assert "where: command line (check)" in text and "in check_store_that_fails" in text
    assert "山田" not in text and "RuntimeError" in text


def test_a_report_that_cannot_be_written_is_left_out(cli, initialised, monkeypatch, tmp_path):
    from shakyo_desk.store import check

    def boom(store):
        raise RuntimeError("internal detail")

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(check, "check_store", boom)
    monkeypatch.setenv(crash_report.ENV_LOG_DIR, str(blocked / "logs"))
    code, _, err = cli("check")
    assert code == 70
    assert_one_japanese_line(err)
    assert "詳しい記録" not in err and "RuntimeError" in err
