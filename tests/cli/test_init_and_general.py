import json
import sys
import types

import pytest

from shakyo_desk import __version__
from shakyo_desk.cli_commands import _base
from shakyo_desk.store.keyfile import normalise_recovery_key
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.store import unlock, unlock_with_recovery
from tests.cli.conftest import COUNCIL, PASSPHRASE, assert_one_japanese_line


def test_version(cli, capsys):
    code, out, _ = cli.raw("--version")
    assert code == 0 and __version__ in out


def test_help_is_japanese_and_documents_fast_kdf(cli):
    code, out, _ = cli.raw("--help")
    assert code == 0
    assert "使い方" in out and "SHAKYO_FAST_KDF" in out and "household" in out


def test_usage_error_is_one_japanese_line(cli):
    code, out, err = cli.raw("household", "add", "--store", "x")
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert "--district" in err


def test_unknown_command(cli):
    code, _, err = cli.raw("frobnicate")
    assert code == 2
    assert_one_japanese_line(err)


def test_group_without_operation(cli):
    code, _, err = cli.raw("household")
    assert code == 2
    assert_one_japanese_line(err)


def test_init_prints_recovery_kit(cli, store_dir):
    code, out, err = cli("init", "--council", COUNCIL, "--municipality", "テスト村", "--name", "管理 太郎")
    assert code == 0, err
    assert "復旧キー" in out and "保管" in out and COUNCIL in out
    key_line = next(line.strip() for line in out.splitlines() if line.strip().count("-") == 5)
    normalise_recovery_key(key_line)  # well-formed
    assert StoreLayout(store_dir).exists()
    store = unlock(store_dir, "admin", PASSPHRASE)
    assert store.actor.display_name == "管理 太郎"
    store.close()
    # the printed key really is the recovery key
    unlock_with_recovery(store_dir, key_line, "admin", "new passphrase 2").close()


def test_init_json_shape(cli, store_dir):
    code, out, err = cli("init", "--council", COUNCIL, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"store", "council", "recovery_key", "recovery_identity"}
    assert doc["council"] == COUNCIL and doc["recovery_identity"].startswith("AGE-SECRET-KEY-1")
    assert doc["store"] == str(store_dir.absolute())
    normalise_recovery_key(doc["recovery_key"])


def test_init_refuses_existing_store(cli, initialised):
    before = StoreLayout(initialised).key_file.read_bytes()
    code, out, err = cli("init", "--council", "別の社協")
    assert code == 6 and out == ""
    assert_one_japanese_line(err)
    assert StoreLayout(initialised).key_file.read_bytes() == before


def test_init_refuses_short_passphrase(cli, store_dir, monkeypatch):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "short")
    code, _, err = cli("init", "--council", COUNCIL)
    assert code == 2
    assert_one_japanese_line(err)
    assert not StoreLayout(store_dir).exists()


def test_init_refuses_bad_login(cli, store_dir):
    code, _, err = cli("init", "--council", COUNCIL, user="山田")
    assert code == 2
    assert_one_japanese_line(err)


def test_init_requires_user(cli):
    code, _, err = cli("init", "--council", COUNCIL, user=None)
    assert code == 2
    assert "--user" in err


def test_init_asks_twice_when_prompting(cli, store_dir, monkeypatch):
    monkeypatch.delenv("SHAKYO_PASSPHRASE")
    monkeypatch.setattr(_base, "_isatty", lambda stream: True)
    answers = iter(["typed passphrase", "typed passphrase"])
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(answers))
    code, _, err = cli("init", "--council", COUNCIL)
    assert code == 0, err
    assert len(prompts) == 2
    unlock(store_dir, "admin", "typed passphrase").close()


def test_init_mismatched_confirmation_creates_nothing(cli, store_dir, monkeypatch):
    monkeypatch.delenv("SHAKYO_PASSPHRASE")
    monkeypatch.setattr(_base, "_isatty", lambda stream: True)
    answers = iter(["typed passphrase", "typed passphrasf"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = cli("init", "--council", COUNCIL)
    assert code == 2
    assert_one_japanese_line(err)
    assert not store_dir.exists()


def test_no_passphrase_and_no_terminal(cli, initialised, monkeypatch):
    monkeypatch.delenv("SHAKYO_PASSPHRASE")
    monkeypatch.setattr(_base, "_isatty", lambda stream: False)
    code, _, err = cli("check")
    assert code == 2
    assert_one_japanese_line(err)
    assert "SHAKYO_PASSPHRASE" in err


def test_options_before_the_command(cli, initialised):
    code, out, err = cli.raw("--store", str(initialised), "--user", "admin", "--format", "json", "check")
    assert code == 0, err
    assert json.loads(out)["sound"] is True


# ---- the desktop app --------------------------------------------------------------------

def _fake_ui(monkeypatch, result=0):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    calls = []
    module = types.ModuleType("shakyo_desk.ui.app")
    module.run = lambda store_dir, demo: calls.append((store_dir, demo)) or result
    monkeypatch.setitem(sys.modules, "shakyo_desk.ui.app", module)
    return calls


def test_no_command_starts_the_app(cli, monkeypatch):
    calls = _fake_ui(monkeypatch)
    assert cli.raw()[0] == 0
    assert calls == [(None, False)]


def test_demo_flag_starts_the_demo_app(cli, monkeypatch, tmp_path):
    calls = _fake_ui(monkeypatch, result=3)
    assert cli.raw("--demo")[0] == 3
    assert cli.raw("--store", str(tmp_path))[0] == 3
    assert calls == [(None, True), (tmp_path, False)]


def test_app_that_cannot_start(cli, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setitem(sys.modules, "shakyo_desk.ui.app", None)  # import fails
    code, out, err = cli.raw()
    assert code != 0 and out == ""
    assert_one_japanese_line(err)
    assert "起動できません" in err


def test_app_without_a_display(cli, monkeypatch):
    calls = _fake_ui(monkeypatch)
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = cli.raw("--demo")
    assert code != 0 and out == "" and calls == []
    assert_one_japanese_line(err)


def test_demo_flag_with_a_command_is_refused(cli, initialised):
    code, _, err = cli("--demo", "check")
    assert code == 2
    assert_one_japanese_line(err)


# ---- unexpected errors ---------------------------------------------------------------------

def test_unexpected_error_is_short_and_70(cli, initialised, monkeypatch):
    from shakyo_desk.store import check

    def boom(store):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(check, "check_store", boom)
    code, _, err = cli("check")
    assert code == 70
    assert_one_japanese_line(err)
    assert "RuntimeError" in err and "internal detail" not in err


@pytest.mark.parametrize("argv", [["check"], ["household", "list"]])
def test_missing_store_folder(cli, tmp_path, argv):
    code, out, err = cli.raw(*argv, "--store", str(tmp_path / "nowhere"), "--user", "admin")
    assert code == 6 and out == ""
    assert_one_japanese_line(err)
