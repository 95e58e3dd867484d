"""`device join` uses its enrolment file up: a second join is refused with a sentence saying
when and for which device it was used; a file that cannot be overwritten still joins (exit 0)
and the person is told on stderr to delete it now."""

import errno
import json
import pathlib

import pytest

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.exchange import devices
from shakyo_desk.sync.enrolment import USED_MAGIC
from tests.cli.conftest import COUNCIL


@pytest.fixture
def enrolment(cli, tmp_path):
    office, usb = tmp_path / "office", tmp_path / "usb"
    usb.mkdir()
    code, out, err = cli.raw("init", "--council", COUNCIL, "--store", str(office), "--user", "admin")
    assert code == 0, err
    path = usb / "laptop1.shakyo"
    code, out, err = cli.raw("device", "add", "--name", "田中さんのノートPC", "--out", str(path),
                             "--store", str(office), "--user", "admin", "--format", "json")
    assert code == 0, err
    return path, json.loads(out)["code"]


def join(cli, path, code, store, *extra):
    return cli.raw("device", "join", "--enrolment", str(path), "--code", code, "--store", str(store),
                   "--user", "admin", *extra)


def test_a_second_join_of_the_same_file_is_refused(cli, tmp_path, enrolment):
    path, code = enrolment
    status, out, err = join(cli, path, code, tmp_path / "laptop", "--format", "json")
    assert status == 0, err
    done = json.loads(out)
    assert done["enrolment_file_used"] is True and done["warning"] is None and err == ""
    assert path.read_bytes().startswith(USED_MAGIC)

    status, out, err = join(cli, path, code, tmp_path / "again")
    assert status != 0 and out == ""
    assert f"{format_wareki(clock.today())}に端末「田中さんのノートPC」の登録に使われた" in err
    assert "「端末の追加」で新しい登録ファイル" in err and "Traceback" not in err
    assert not (tmp_path / "again").exists()


def test_a_write_protected_stick_still_joins_and_says_to_delete_the_file(cli, tmp_path, enrolment, monkeypatch):
    path, code = enrolment
    original = path.read_bytes()

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    real_unlink = pathlib.Path.unlink

    def unlink(self, *args, **kwargs):
        if self == path:
            read_only()
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(devices, "write_atomic", read_only)
    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    status, out, err = join(cli, path, code, tmp_path / "laptop")
    assert status == 0, err  # the join succeeded: CLI.md's exit 0
    assert "データフォルダを作りました" in out and "【この端末の復旧キー】" in out
    assert str(path) in err and "今すぐ削除してください" in err
    assert path.read_bytes() == original
