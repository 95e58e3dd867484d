"""The real console script, as administrators' batch files run it."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from shakyo_desk.store.services import districts
from shakyo_desk.store.store import unlock
from tests.cli.conftest import COUNCIL, PASSPHRASE


def _command() -> list[str]:
    script = shutil.which("shakyo-desk")
    return [script] if script else [sys.executable, "-m", "shakyo_desk"]


def run(*argv, passphrase=PASSPHRASE):
    env = {**os.environ, "SHAKYO_FAST_KDF": "1", "PYTHONIOENCODING": "ascii"}  # UTF-8 must not depend on it
    env.pop("SHAKYO_DEBUG", None)
    if passphrase is None:
        env.pop("SHAKYO_PASSPHRASE", None)
    else:
        env["SHAKYO_PASSPHRASE"] = passphrase
    result = subprocess.run([*_command(), *argv], capture_output=True, env=env, timeout=120,
                            stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


@pytest.mark.slow
def test_init_add_list_via_console_script(tmp_path):
    store = str(tmp_path / "store")
    code, out, err = run("init", "--store", store, "--council", COUNCIL, "--user", "admin", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["council"] == COUNCIL

    s = unlock(tmp_path / "store", "admin", PASSPHRASE)
    districts.add_district(s, "上町")
    s.close()

    code, out, err = run("household", "add", "--store", store, "--user", "admin", "--district", "上町",
                         "--name", "山田 花子", "--kana", "ヤマダ ハナコ", "--phone", "0123-45-6789")
    assert code == 0, err
    household_id = out.strip()

    code, out, err = run("household", "list", "--store", store, "--user", "admin", "--search", "ヤマダ", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["id"], r["name"], r["district"]) for r in rows] == [(household_id, "山田 花子", "上町")]

    code, out, err = run("household", "list", "--store", store, "--user", "admin")
    assert code == 0 and "山田 花子" in out


@pytest.mark.slow
def test_refusal_via_console_script(tmp_path):
    code, out, err = run("check", "--store", str(tmp_path / "none"), "--user", "admin")
    assert code == 6 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "データ" in err


@pytest.mark.slow
def test_no_passphrase_without_terminal(tmp_path):
    store = str(tmp_path / "store")
    run("init", "--store", store, "--council", COUNCIL, "--user", "admin")
    code, _, err = run("check", "--store", store, "--user", "admin", passphrase=None)
    assert code == 2 and "SHAKYO_PASSPHRASE" in err


def test_cli_path_never_imports_qt(tmp_path):
    store = tmp_path / "store"
    code = (
        "import sys\n"
        "from shakyo_desk.cli import main\n"
        f"assert main(['init', '--store', {str(store)!r}, '--council', 'x', '--user', 'admin']) == 0\n"
        f"assert main(['check', '--store', {str(store)!r}, '--user', 'admin']) == 0\n"
        f"main(['household', 'list', '--store', {str(store)!r}, '--user', 'admin'])\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'\n"
        "assert 'shakyo_desk.ui' not in sys.modules\n"
    )
    env = {**os.environ, "SHAKYO_FAST_KDF": "1", "SHAKYO_PASSPHRASE": PASSPHRASE}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
