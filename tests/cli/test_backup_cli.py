"""`backup` and `restore` from the command line: the contract in CLI.md."""

import json

import pytest

from shakyo_desk.store.check import check_store
from shakyo_desk.store.services import households
from shakyo_desk.store.store import unlock

from .conftest import COUNCIL, PASSPHRASE, assert_one_japanese_line


@pytest.fixture
def kit(cli, store_dir, monkeypatch):
    """An initialised store with one household; the recovery key in the environment."""
    code, out, err = cli("init", "--council", COUNCIL, "--format", "json")
    assert code == 0, err
    recovery = json.loads(out)["recovery_key"]
    from shakyo_desk.store.services import districts

    store = unlock(store_dir, "admin", PASSPHRASE)
    households.add_household(store, districts.add_district(store, "上町"), "山田 花子", address="架空村上町1")
    store.close()
    monkeypatch.setenv("SHAKYO_RECOVERY_KEY", recovery)
    return recovery


def test_backup_then_restore_on_another_folder(cli, store_dir, tmp_path, kit):
    target = tmp_path / "b.shakyo-backup"
    code, out, err = cli("backup", "--to", str(target), "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["path"] == str(target) and result["size"] == target.stat().st_size > 0

    new_pc = tmp_path / "new-pc"
    code, out, err = cli.raw("restore", "--from", str(target), "--store", str(new_pc))
    assert code == 0, err
    assert "バックアップを復元しました" in out and "：1 → " in out and COUNCIL in out

    code, out, err = cli.raw("check", "--store", str(new_pc), "--user", "admin", "--format", "json")
    assert code == 0, err
    restored_counts = json.loads(out)["counts"]
    code, out, err = cli("check", "--format", "json")
    original_counts = json.loads(out)["counts"]
    for name in ("household", "person", "changes", "staff", "district"):
        assert restored_counts[name] == original_counts[name], name
    code, out, _ = cli.raw("household", "list", "--store", str(new_pc), "--user", "admin", "--format", "json")
    assert [h["name"] for h in json.loads(out)] == ["山田 花子"]


def test_backup_to_a_folder_gets_the_default_name(cli, tmp_path, kit):
    folder = tmp_path / "usb"
    folder.mkdir()
    code, out, err = cli("backup", "--to", str(folder))
    assert code == 0, err
    [made] = list(folder.iterdir())
    assert made.name.startswith(f"{COUNCIL}_バックアップ_") and made.name.endswith("日.shakyo-backup")
    assert "読み直して確かめました" in out and str(made) in out


def test_restore_json_with_a_new_passphrase(cli, tmp_path, kit, monkeypatch):
    target = tmp_path / "b.shakyo-backup"
    assert cli("backup", "--to", str(target))[0] == 0
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "brand new passphrase")
    code, out, err = cli.raw("restore", "--from", str(target), "--store", str(tmp_path / "r"), "--user", "admin",
                             "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["epoch"] != doc["old_epoch"] and doc["user"] == "admin" and doc["kept_aside"] is None
    store = unlock(tmp_path / "r", "admin", "brand new passphrase")
    assert check_store(store).sound
    store.close()


def test_refusals_are_one_japanese_line_and_change_nothing(cli, store_dir, tmp_path, kit, monkeypatch):
    target = tmp_path / "b.shakyo-backup"
    assert cli("backup", "--to", str(target))[0] == 0
    data = target.read_bytes()

    cut = tmp_path / "cut.shakyo-backup"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = cli.raw("restore", "--from", str(cut), "--store", str(tmp_path / "r1"))
    assert code == 6 and "途中で切れている" in err
    assert_one_japanese_line(err)

    monkeypatch.setenv("SHAKYO_RECOVERY_KEY", "00000-00000-00000-00000-00000-00000")
    code, _, err = cli.raw("restore", "--from", str(target), "--store", str(tmp_path / "r2"))
    assert code == 5 and "復旧キーが違います" in err
    assert_one_japanese_line(err)
    monkeypatch.setenv("SHAKYO_RECOVERY_KEY", kit)

    before = (store_dir / "shakyo.db").read_bytes()
    code, _, err = cli.raw("restore", "--from", str(target), "--store", str(store_dir))
    assert code == 6 and "--replace" in err
    assert_one_japanese_line(err)
    assert (store_dir / "shakyo.db").read_bytes() == before

    code, _, err = cli("backup", "--to", str(tmp_path / "missing" / "b.shakyo-backup"))
    assert code == 6 and "見つかりません" in err
    assert_one_japanese_line(err)
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_replace_keeps_the_old_store(cli, store_dir, tmp_path, kit):
    target = tmp_path / "b.shakyo-backup"
    assert cli("backup", "--to", str(target))[0] == 0
    code, out, err = cli.raw("restore", "--from", str(target), "--store", str(store_dir), "--replace")
    assert code == 0, err
    [aside] = list((store_dir / "backups").glob("before-restore-*"))
    assert (aside / "shakyo.db").is_file() and (aside / "keys.json").is_file()
    assert str(aside) in out
    assert cli("check")[0] == 0


def test_backup_needs_an_admin(cli, store_dir, tmp_path, kit):
    from shakyo_desk.domain.roles import Role
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts

    store = unlock(store_dir, "admin", PASSPHRASE)
    accounts.add_account(store, "tanaka", "田中", Role.COORDINATOR, PASSPHRASE, kdf=FAST_KDF)
    store.close()
    code, _, err = cli("backup", "--to", str(tmp_path / "b.shakyo-backup"), user="tanaka")
    assert code == 4 and "管理者" in err
    assert not (tmp_path / "b.shakyo-backup").exists()


def test_restore_names_the_council_only_once_the_key_opens_the_file(cli, tmp_path, kit, monkeypatch):
    target = tmp_path / "b.shakyo-backup"
    assert cli("backup", "--to", str(target))[0] == 0
    assert COUNCIL.encode("utf-8") not in target.read_bytes()
    monkeypatch.setenv("SHAKYO_RECOVERY_KEY", "00000-00000-00000-00000-00000-00000")
    code, out, err = cli.raw("restore", "--from", str(target), "--store", str(tmp_path / "r1"))
    assert code == 5 and COUNCIL not in out + err
    monkeypatch.setenv("SHAKYO_RECOVERY_KEY", kit)
    code, out, err = cli.raw("restore", "--from", str(target), "--store", str(tmp_path / "r2"), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["council"] == COUNCIL
