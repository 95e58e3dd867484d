"""`account add|list|disable|enable` through the real command line on a real store."""

import json

import pytest

from shakyo_desk.domain.errors import AuthError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.store import unlock
from shakyo_desk.store.throttle import Throttle

from .conftest import PASSPHRASE, assert_one_japanese_line

NEW = "suzuki passphrase 1"


@pytest.fixture
def new_passphrase(monkeypatch):
    monkeypatch.setenv("SHAKYO_NEW_PASSPHRASE", NEW)
    return NEW


def _accounts(cli) -> dict[str, dict]:
    code, out, err = cli("account", "list", "--format", "json")
    assert code == 0, err
    return {a["login"]: a for a in json.loads(out)}


def _files(store_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (store_dir / "shakyo.db", store_dir / "keys.json")}


def test_add_prints_the_id_and_the_account_unlocks(cli, district, new_passphrase):
    code, out, err = cli("account", "add", "--login", "suzuki", "--role", "staff", "--name", "鈴木 一郎",
                         "--section", "地域福祉係", "--district", "上町")
    assert code == 0, err
    staff_id = out.strip()
    listed = _accounts(cli)["suzuki"]
    assert listed["id"] == staff_id and listed["name"] == "鈴木 一郎" and listed["role"] == "staff"
    assert listed["district_ids"] == [district] and listed["section"] == "地域福祉係" and listed["active"]

    opened = unlock(cli.store_dir, "suzuki", NEW)
    try:
        assert opened.actor.staff_id == staff_id and opened.actor.role == Role.STAFF
        assert opened.actor.district_ids == {district}
    finally:
        opened.close()


def test_add_with_json_prints_id_and_name_defaults_to_login(cli, initialised, new_passphrase):
    code, out, err = cli("account", "add", "--login", "care1", "--role", "reporter", "--format", "json")
    assert code == 0, err
    staff_id = json.loads(out)["id"]
    assert _accounts(cli)["care1"] == {**_accounts(cli)["care1"], "id": staff_id, "name": "care1", "role": "reporter"}


def test_add_asks_twice_on_the_terminal_without_the_variable(cli, initialised, monkeypatch):
    monkeypatch.delenv("SHAKYO_NEW_PASSPHRASE", raising=False)
    asked: list[str] = []
    answers = iter(["typed passphrase", "typed passphrase"])

    def getpass(prompt):
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", getpass)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    code, _, err = cli("account", "add", "--login", "kato", "--role", "coordinator")
    assert code == 0, err
    assert len(asked) == 2 and "kato" in asked[0]
    unlock(cli.store_dir, "kato", "typed passphrase").close()


def test_add_refuses_mismatched_terminal_passphrases(cli, initialised, monkeypatch):
    monkeypatch.delenv("SHAKYO_NEW_PASSPHRASE", raising=False)
    answers = iter(["typed passphrase", "typo passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    code, _, err = cli("account", "add", "--login", "kato", "--role", "coordinator")
    assert code == 2 and "一致しません" in err
    assert_one_japanese_line(err)
    assert "kato" not in _accounts(cli)


def test_add_without_variable_or_terminal_says_what_to_do(cli, initialised, monkeypatch):
    monkeypatch.delenv("SHAKYO_NEW_PASSPHRASE", raising=False)
    code, _, err = cli("account", "add", "--login", "kato", "--role", "coordinator")
    assert code == 2 and "SHAKYO_NEW_PASSPHRASE" in err
    assert_one_japanese_line(err)


def test_non_admin_is_refused_and_nothing_changes(cli, initialised, new_passphrase):
    assert cli("account", "add", "--login", "coord", "--role", "coordinator")[0] == 0
    assert cli("account", "add", "--login", "suzuki", "--role", "staff")[0] == 0
    assert cli("account", "add", "--login", "gone", "--role", "staff")[0] == 0
    assert cli("account", "disable", "gone")[0] == 0
    _as(cli, "coord", NEW, "check")  # its first unlock makes its own signing key (issue 16): not a change to refuse
    keys = (cli.store_dir / "keys.json").read_bytes()
    listed = _accounts(cli)
    for argv in (("account", "add", "--login", "sato", "--role", "admin"),
                 ("account", "disable", "suzuki"),
                 ("account", "enable", "gone")):
        code, out, err = _as(cli, "coord", NEW, *argv)
        assert (code, out) == (4, ""), argv
        assert "管理者" in err
        assert_one_japanese_line(err)
    assert (cli.store_dir / "keys.json").read_bytes() == keys
    assert _accounts(cli) == listed


def _as(cli, login, passphrase, *argv):
    """Run as another account (its own passphrase in SHAKYO_PASSPHRASE)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SHAKYO_PASSPHRASE", passphrase)
    try:
        return cli(*argv, user=login)
    finally:
        mp.undo()


def test_refused_add_changes_nothing(cli, district, new_passphrase):
    assert cli("account", "add", "--login", "suzuki", "--role", "staff")[0] == 0
    keys_before = (cli.store_dir / "keys.json").read_bytes()
    count_before = len(_accounts(cli))
    for argv, exit_code, words in (
        (("--login", "suzuki", "--role", "coordinator"), 2, "すでに使われています"),   # duplicate login
        (("--login", "x", "--role", "staff"), 2, "ログイン名"),                      # bad login
        (("--login", "sato", "--role", "chief"), 2, "chief"),                       # unknown role
        (("--login", "sato", "--role", "staff", "--district", "ない地区"), 3, "ない地区"),
    ):
        code, out, err = cli("account", "add", *argv)
        assert (code, out) == (exit_code, ""), (argv, err)
        assert words in err, err
        assert_one_japanese_line(err)
    code, _, err = _with_new(cli, "short", "account", "add", "--login", "sato", "--role", "staff")
    assert code == 2 and "8文字以上" in err
    assert (cli.store_dir / "keys.json").read_bytes() == keys_before
    assert len(_accounts(cli)) == count_before


def _with_new(cli, new, *argv):
    mp = pytest.MonkeyPatch()
    mp.setenv("SHAKYO_NEW_PASSPHRASE", new)
    try:
        return cli(*argv)
    finally:
        mp.undo()


def test_disable_then_unlock_fails_and_enable_with_a_new_passphrase_unlocks(cli, initialised, new_passphrase):
    code, out, _ = cli("account", "add", "--login", "suzuki", "--role", "staff", "--format", "json")
    staff_id = json.loads(out)["id"]
    unlock(cli.store_dir, "suzuki", NEW).close()

    code, out, err = cli("account", "disable", "suzuki")
    assert code == 0, err
    assert "suzuki" in out and "無効" in out
    assert not _accounts(cli)["suzuki"]["active"]
    with pytest.raises(AuthError):
        unlock(cli.store_dir, "suzuki", NEW)
    code, _, err = _as(cli, "suzuki", NEW, "household", "list", "--format", "json")
    assert code == 5
    assert_one_japanese_line(err)
    throttle = Throttle(cli.store_dir / "unlock-state.json")
    for _ in range(4):  # the person kept trying for a while
        throttle.record_failure("suzuki")
    assert throttle.wait_remaining("suzuki") > 10

    code, out, err = _with_new(cli, "a fresh passphrase", "account", "enable", "suzuki", "--format", "json")
    assert code == 0, err
    enabled = json.loads(out)
    assert enabled["id"] == staff_id and enabled["active"] and enabled["disabled_at"] is None
    # At once: the delays earned while disabled are forgotten; the old passphrase stays useless.
    opened = unlock(cli.store_dir, "suzuki", "a fresh passphrase")
    assert opened.actor.staff_id == staff_id
    opened.close()
    with pytest.raises(AuthError):
        unlock(cli.store_dir, "suzuki", NEW)
    assert cli("check")[0] == 0


def test_disable_and_enable_refusals_change_nothing(cli, initialised, new_passphrase):
    assert cli("account", "add", "--login", "suzuki", "--role", "staff")[0] == 0
    cases = [
        (("account", "enable", "suzuki"), 2, "すでに有効"),          # would silently replace its passphrase
        (("account", "disable", "admin"), 2, "自分自身"),
        (("account", "disable", "nobody"), 3, "nobody"),
        (("account", "enable", "nobody"), 3, "nobody"),
    ]
    keys = (cli.store_dir / "keys.json").read_bytes()
    for argv, exit_code, words in cases:
        code, out, err = cli(*argv)
        assert (code, out) == (exit_code, ""), (argv, err)
        assert words in err
        assert_one_japanese_line(err)
    assert (cli.store_dir / "keys.json").read_bytes() == keys
    unlock(cli.store_dir, "suzuki", NEW).close()

    assert cli("account", "disable", "suzuki")[0] == 0
    listed = _accounts(cli)["suzuki"]
    keys = (cli.store_dir / "keys.json").read_bytes()
    code, _, err = cli("account", "disable", "suzuki")
    assert code == 2 and "すでに無効" in err
    code, _, err = _with_new(cli, "short", "account", "enable", "suzuki")
    assert code == 2 and "8文字以上" in err
    assert (cli.store_dir / "keys.json").read_bytes() == keys
    assert _accounts(cli)["suzuki"] == listed
    with pytest.raises(AuthError):
        unlock(cli.store_dir, "suzuki", "short")
