"""Local crash reports (shakyo_desk/crash_report.py): what they hold and what they never hold."""

from datetime import datetime
from pathlib import Path

from shakyo_desk import __version__, crash_report

PERSONAL = "山田 花子（架空村北1-2）"


def validate_address(record: dict) -> None:
    address = record["address"]  # a local variable holding personal data
    raise ValueError(f"住所が読めません：{address}")


def save_household(record: dict) -> None:
    try:
        validate_address(record)
    except ValueError as error:
        raise RuntimeError(f"{record['name']} を保存できませんでした") from error


def caught() -> BaseException:
    try:
        save_household({"name": PERSONAL, "address": PERSONAL})
    except RuntimeError as error:
        return error
    raise AssertionError("no exception")


def test_report_keeps_where_and_withholds_what():
    text = crash_report.format_report(caught(), where="desktop", versions={"qt": "6.x"},
                                      now=datetime(2025, 11, 23, 14, 30).astimezone())
    assert f"version: {__version__}" in text and "qt: 6.x" in text and "python: " in text
    assert "platform: " in text and "time: 2025-11-23T14:30:00" in text and "thread: MainThread" in text
    assert "exception: RuntimeError" in text
    # both exceptions of the chain, with their frames: file, line and function names
    for name in ("in caught", "in save_household", "in validate_address"):
        assert name in text
    assert 'File "tests/test_crash_report.py", line' in text
    assert "ValueError: (message withheld" in text and "RuntimeError: (message withheld" in text
    assert "direct cause" in text
    # never the message, never a local variable's value (the line of code is kept: it is code)
    assert PERSONAL not in text and "山田" not in text and "架空村" not in text
    assert 'raise ValueError(f"住所が読めません：{address}")' in text


def test_paths_do_not_name_the_account(monkeypatch, tmp_path):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert crash_report.short_path(str(tmp_path / "Documents" / "tool.py")) == "~/Documents/tool.py"
    assert crash_report.short_path("/opt/x/lib/python3.11/site-packages/PySide6/__init__.py") == \
        "site-packages/PySide6/__init__.py"
    assert crash_report.short_path(crash_report.__file__) == "shakyo_desk/crash_report.py"
    assert crash_report.short_path("<frozen importlib._bootstrap>") == "<frozen importlib._bootstrap>"
    assert crash_report.short_path("/srv/yamada.hanako/x.py") == ".../x.py"


def test_reports_are_written_and_pruned(tmp_path):
    error = caught()
    paths = [crash_report.write_report(error, folder=tmp_path, keep=3, where="command line") for _ in range(5)]
    kept = sorted(tmp_path.glob("crash-*.txt"))
    assert kept == sorted(paths[-3:])
    assert not list(tmp_path.glob("*.partial"))
    text = kept[-1].read_text("utf-8")
    assert "where: command line" in text and PERSONAL not in text


def test_report_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(crash_report.ENV_LOG_DIR, str(tmp_path / "logs"))
    assert crash_report.report_dir() == tmp_path / "logs"
    monkeypatch.delenv(crash_report.ENV_LOG_DIR)
    assert "shakyo-desk" in str(crash_report.report_dir())


def test_same_fault_has_the_same_signature():
    assert crash_report.signature(caught()) == crash_report.signature(caught())
    assert crash_report.signature(caught()) != crash_report.signature(ValueError("x"))


def test_a_hard_crash_leaves_its_stack_and_a_normal_run_nothing(tmp_path):
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from shakyo_desk import crash_report\n"
              "crash_report.record_fatal_errors(Path(sys.argv[1]))\n"
              "def load_the_household_list():\n"
              "    import faulthandler; faulthandler._sigsegv() if sys.argv[2] == 'crash' else None\n"
              "load_the_household_list()\n")
    normal = subprocess.run([sys.executable, "-c", script, str(tmp_path), "normal"], capture_output=True, timeout=60)
    assert normal.returncode == 0 and list(tmp_path.glob("crash-*")) == []
    crashed = subprocess.run([sys.executable, "-c", script, str(tmp_path), "crash"], capture_output=True, timeout=60)
    assert crashed.returncode != 0
    [report] = tmp_path.glob("crash-*-fatal.txt")
    text = report.read_text("utf-8")
    assert "Fatal Python error" in text and "load_the_household_list" in text
    # the next start keeps it (it is not empty) and counts it among the reports
    crash_report.prune(tmp_path, keep=20)
    assert report.exists()
