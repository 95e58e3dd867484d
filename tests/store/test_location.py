"""A store on a network share or in a read-only folder is refused before anything is written."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import location
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.store import create_store, unlock

from .conftest import PASSPHRASE

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
//nas/shakyo /mnt/office cifs rw,vers=3.0 0 0
/dev/sdb1 /mnt/office/local\\040disk ext4 rw 0 0
nas:/export /srv/nfs nfs4 rw 0 0
"""


@pytest.mark.parametrize("path, kind", [
    ("/srv/local/shakyo-desk/store", "ext4"),
    ("/mnt/office/shakyo/store", "cifs"),
    ("/mnt/office", "cifs"),
    ("/mnt/office/local disk/store", "ext4"),  # a local disk mounted inside the share
    ("/mnt/officer/store", "ext4"),  # a prefix of the name is not the mount
    ("/srv/nfs/a/b", "nfs4"),
])
def test_the_innermost_mount_decides(path, kind):
    assert location.mount_type(Path(path), MOUNTS) == kind


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mounts")
def test_this_machines_temp_folder_is_local(tmp_path):
    assert location.mount_type(tmp_path) != "" and location.network_kind(tmp_path) == ""


def test_a_store_is_not_created_on_a_share(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "network_kind", lambda path: "cifs")
    root = tmp_path / "share" / "store"
    with pytest.raises(StoreError, match="ネットワーク上の共有フォルダ（cifs）") as refused:
        create_store(root, "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    assert "同期ファイル" in refused.value.message
    assert not (tmp_path / "share").exists()


def test_an_existing_store_is_not_opened_on_a_share(tmp_path, monkeypatch):
    store, _ = create_store(tmp_path / "store", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    before = hashlib.sha256((tmp_path / "store" / "shakyo.db").read_bytes()).hexdigest()
    monkeypatch.setattr(location, "network_kind", lambda path: "nfs4")
    with pytest.raises(StoreError, match="nfs4"):
        unlock(tmp_path / "store", "admin", PASSPHRASE)
    assert hashlib.sha256((tmp_path / "store" / "shakyo.db").read_bytes()).hexdigest() == before


def _read_only_mount_works() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro / /mnt && ! touch /mnt/.probe"],
                           capture_output=True)
    return probe.returncode == 0


def _in_read_only_view(source: Path, view: Path, *argv: str) -> subprocess.CompletedProcess:
    """Run the real command line with ``source`` seen read-only at ``view`` (a private mount)."""
    view.mkdir()
    command = " ".join(["mount --bind -o ro", str(source), str(view), "&&", sys.executable, "-m", "shakyo_desk",
                        *(f"'{a}'" for a in argv)])
    env = {**os.environ, "SHAKYO_PASSPHRASE": PASSPHRASE, "SHAKYO_FAST_KDF": "1"}
    return subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, env=env, timeout=120)


@pytest.mark.skipif(not _read_only_mount_works(), reason="needs private read-only bind mounts (Linux, as root)")
def test_a_read_only_folder_is_refused_and_left_as_it_was(tmp_path):
    source = tmp_path / "disk"
    store, _ = create_store(source / "store", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    files = {p.name: p.read_bytes() for p in (source / "store").iterdir() if p.is_file()}
    result = _in_read_only_view(source, tmp_path / "ro", "check", "--store", str(tmp_path / "ro" / "store"),
                                "--user", "admin")
    err = result.stderr.decode("utf-8")
    assert result.returncode == StoreError.exit_code, err
    assert "読み取り専用" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in (source / "store").iterdir() if p.is_file()} == files

    result = _in_read_only_view(source, tmp_path / "ro2", "init", "--store", str(tmp_path / "ro2" / "new"),
                                "--council", "別の村社会福祉協議会", "--user", "admin")
    assert result.returncode == StoreError.exit_code and "読み取り専用" in result.stderr.decode("utf-8")
    assert not (source / "new").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_a_folder_without_write_permission_is_refused(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="読み取り専用"):
            create_store(parent / "store", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    finally:
        parent.chmod(0o700)
