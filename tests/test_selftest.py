"""`shakyo-desk --selftest`: the checks a built app runs on a council PC (and in CI from the
PyInstaller bundle) pass from source, and a broken part is reported, not hidden."""

import io
import os
import subprocess
import sys
import tempfile

import pytest

from shakyo_desk import selftest

STEPS = 6


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """Temporary folders of the self-test land here, so a leftover can be seen."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_every_step_passes_and_nothing_is_left_behind(qapp, own_tmp):
    out = io.StringIO()
    assert selftest.run(out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("[OK]") for line in lines) == STEPS and not any("[NG]" in line for line in lines)
    assert "ページを表示" in lines[-2]
    assert "会議資料の日本語を QtPdf で確認" in out.getvalue()
    assert lines[-1].startswith("結果：すべて正常です")
    assert list(own_tmp.iterdir()) == []  # both stores, the bundle and the PDF are gone


def test_a_broken_part_is_named_and_stops_the_run(qapp, own_tmp, monkeypatch):
    import pyrage

    def broken(*_args, **_kwargs):
        raise pyrage.DecryptError("no identity matched")

    monkeypatch.setattr(pyrage, "decrypt", broken)
    out = io.StringIO()
    assert selftest.run(out) == 1
    text = out.getvalue()
    assert "[NG] 同期ファイルの書き出しと取り込み：DecryptError" in text
    assert "会議資料（PDF）" not in text  # later steps build on the failed one
    assert text.splitlines()[-1].startswith("結果：異常があります")
    assert list(own_tmp.iterdir()) == []


@pytest.mark.slow
def test_the_console_command_in_a_process_of_its_own(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONIOENCODING": "ascii"}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test goes offscreen by itself
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "shakyo_desk", "--selftest"], capture_output=True,
                            env=env, timeout=300, stdin=subprocess.DEVNULL)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, out + result.stderr.decode("utf-8", "replace")
    assert out.count("[OK]") == STEPS
    assert list(tmp_path.iterdir()) == []


def test_selftest_takes_no_other_arguments(capsys):
    from shakyo_desk.cli import main

    assert main(["--selftest", "--store", "somewhere"]) == 2
    assert "単独" in capsys.readouterr().err


def test_a_build_without_the_suppression_solver_fails_the_self_test(qapp, own_tmp, monkeypatch):
    """A build that lost highspy (or numpy under it) would quietly hide more cells than needed."""
    import builtins

    from shakyo_desk.reports import stats_suppress

    real_import = builtins.__import__

    def without_highspy(name, *args, **kwargs):
        if name == "highspy":
            raise ImportError("No module named 'numpy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(stats_suppress, "_quiet_highs_class", None)
    monkeypatch.setattr(builtins, "__import__", without_highspy)
    out = io.StringIO()
    assert selftest.run(out) == 1
    assert "[NG] 統計の秘匿の計算" in out.getvalue()
