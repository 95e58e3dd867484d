"""Opening the data without the app (issue 16; docs/install.md 13章).

A council whose PC died and whose vendor is gone has the store folder (from the dead PC's disk),
the printed recovery key, Python with `cryptography`, and a standard SQLCipher 4 tool. This runs
what the guide tells them, on a real store made by the app: the standalone script
docs/recovery/raw_key.py (with the app made unimportable) turns keys.json and the recovery key
into the raw key, and the real `sqlcipher` shell opens a copy of shakyo.db with the guide's own
commands and reads the households. `.ci/run` provides the shell (SHAKYO_SQLCIPHER,
.ci/sqlcipher4.sh)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import districts, households
from shakyo_desk.store.store import create_store

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "recovery" / "raw_key.py"
GUIDE = ROOT / "docs" / "install.md"
PASSPHRASE = "correct horse 1"

# The lines the guide tells a council to type, after the PRAGMA key line the script prints.
COUNT_SQL = "SELECT count(*) FROM household WHERE deleted_at IS NULL;"
LIST_SQL = ("SELECT s.head_name, h.address, h.phone FROM household h JOIN household_search s "
            "ON s.household_id = h.id WHERE h.deleted_at IS NULL ORDER BY s.head_kana;")
PRAGMA_LINE = re.compile(r"""^PRAGMA key = "x'([0-9a-f]{64})'";$""")


def cipher_version(shell: str) -> str:
    try:
        done = subprocess.run([shell, ":memory:"], input="PRAGMA cipher_version;\n", capture_output=True,
                              text=True, timeout=30)
    except OSError:
        return ""
    return done.stdout.strip()


def sqlcipher4() -> str:
    """The SQLCipher 4 shell to use, or skip saying what was found instead."""
    found = []
    for shell in (os.environ.get("SHAKYO_SQLCIPHER"), shutil.which("sqlcipher")):
        if shell:
            version = cipher_version(shell)
            if version.startswith("4."):
                return shell
            found.append(f"{shell} is SQLCipher {version or '?'}")
    pytest.skip("no SQLCipher 4 shell: " + ("; ".join(found) or "no sqlcipher on PATH")
                + " (Debian 12's sqlcipher is 3.4.1; `export SHAKYO_SQLCIPHER=$(bash .ci/sqlcipher4.sh)`)")


def run_script(keys_json: Path, recovery_key: str, *args: str) -> subprocess.CompletedProcess:
    """The script as a council runs it: plain Python, the app not importable."""
    blocked = ("import runpy, sys\n"
               "sys.modules['shakyo_desk'] = None  # any import of the app fails\n"
               "sys.argv = sys.argv[1:]\n"
               "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAKYO_")}
    env["SHAKYO_RECOVERY_KEY"] = recovery_key
    return subprocess.run([sys.executable, "-c", blocked, str(SCRIPT), str(keys_json), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def sqlcipher_lines(shell: str, database: Path, *lines: str) -> list[str]:
    done = subprocess.run([shell, str(database)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout.splitlines()


@pytest.fixture
def rescued(tmp_path):
    """A store made by the app, copied while the app still had it open (as from a PC that died:
    recent records only in shakyo.db-wal), and the printed recovery key."""
    store, kit = create_store(tmp_path / "office", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    try:
        district = districts.add_district(store, "上町", "かみまち")
        for name, kana, phone in (("架空 花子", "カクウ ハナコ", "0000-11-1111"), ("例示 一郎", "レイジ イチロウ", ""),
                                  ("見本 次郎", "ミホン ジロウ", "0000-22-2222")):
            households.add_household(store, district, name, kana, address="架空村上町1", phone=phone)
        copy = tmp_path / "rescued"
        copy.mkdir()
        for name in ("shakyo.db", "shakyo.db-wal", "shakyo.db-shm", "keys.json"):
            shutil.copy2(tmp_path / "office" / name, copy / name)
    finally:
        store.close()
    assert (copy / "shakyo.db-wal").stat().st_size > 0  # the latest records are in the WAL only
    return copy, str(kit)


def test_the_guides_commands_open_the_database_with_a_standard_sqlcipher_4_shell(rescued):
    shell = sqlcipher4()
    folder, recovery_key = rescued
    done = run_script(folder / "keys.json", recovery_key.lower().replace("-", " "), "--pragma")
    assert done.returncode == 0, done.stderr
    [pragma] = done.stdout.splitlines()
    assert PRAGMA_LINE.match(pragma)

    assert sqlcipher_lines(shell, folder / "shakyo.db", pragma, COUNT_SQL) == ["ok", "3"]
    listed = sqlcipher_lines(shell, folder / "shakyo.db", pragma, LIST_SQL)
    assert listed == ["ok", "架空 花子|架空村上町1|0000-11-1111", "見本 次郎|架空村上町1|0000-22-2222",
                      "例示 一郎|架空村上町1|"]


def test_the_guides_one_line_command_counts_the_households(rescued, tmp_path):
    shell = sqlcipher4()
    folder, recovery_key = rescued
    [command] = [line for line in GUIDE.read_text("utf-8").splitlines()
                 if line.startswith("( python3 raw_key.py keys.json --pragma;")]
    tools = tmp_path / "tools"  # `python3` and `sqlcipher` as the guide names them
    tools.mkdir()
    (tools / "python3").symlink_to(sys.executable)
    (tools / "sqlcipher").symlink_to(shell)
    shutil.copy(SCRIPT, folder / "raw_key.py")
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "SHAKYO_RECOVERY_KEY": recovery_key,
           "HOME": str(tmp_path)}
    done = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.splitlines() == ["ok", "3"], done.stderr


def test_the_script_needs_only_python_and_cryptography():
    import ast

    tree = ast.parse(SCRIPT.read_text("utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules - sys.stdlib_module_names == {"cryptography"}


def test_the_readable_output_gives_the_same_key_in_each_tools_form(rescued):
    folder, recovery_key = rescued
    done = run_script(folder / "keys.json", recovery_key)
    assert done.returncode == 0, done.stderr
    [hex_key] = [line for line in done.stdout.splitlines() if re.fullmatch(r"[0-9a-f]{64}", line)]
    assert f"0x{hex_key}" in done.stdout.splitlines()  # DB Browser for SQLite's 生のキー
    assert f"PRAGMA key = \"x'{hex_key}'\";" in done.stdout.splitlines()


def test_a_wrong_recovery_key_is_told_and_prints_no_key(rescued):
    folder, _ = rescued
    done = run_script(folder / "keys.json", "ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567")
    assert done.returncode != 0 and "復旧キーが違います" in done.stderr and done.stdout == ""
    done = run_script(folder / "keys.json", "123")
    assert done.returncode != 0 and "30文字" in done.stderr


def test_the_guide_holds_the_commands_and_the_whole_script():
    guide = GUIDE.read_text("utf-8")
    for line in (COUNT_SQL, LIST_SQL, "PRAGMA key = \"x'", "python3 raw_key.py keys.json"):
        assert line in guide, line
    # the script is printed in the guide too, so a council that has only the paper still has it
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    assert SCRIPT.read_text("utf-8") in blocks
