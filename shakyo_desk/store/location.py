"""Where a store may live: on a disk of this PC, in a folder we can write.

DESIGN §5: the database never lives on a share. SQLite's locking is unreliable over SMB and NFS
(two PCs writing one file corrupt it), and a store a second PC can open defeats the per-device
sync identity. A read-only folder would fail at the first write, after the unlock; saying so
first costs nothing. Both are refused with a sentence the user can act on, before anything is
written."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from shakyo_desk.domain.errors import StoreError

# Linux /proc mount types (and macOS `mount` types) that reach another machine.
NETWORK_FS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs", "lustre", "davfs",
    "webdav", "afpfs", "fuse.sshfs", "sshfs", "fuse.davfs2", "fuse.glusterfs", "fuse.rclone", "fuse.s3fs",
})
DRIVE_REMOTE = 4  # GetDriveTypeW

ON_SHARE = ("データフォルダ「{path}」はネットワーク上の共有フォルダ（{kind}）にあるため使えません。"
            "データはこのパソコンの中（既定のフォルダ）に置いてください。"
            "パソコンの間でデータを受け渡すには、同期ファイルを使います。")
READ_ONLY = ("データフォルダ「{path}」に書き込めません（読み取り専用）。"
             "フォルダの場所か権限を確かめてください。USBメモリの書き込み禁止スイッチにもご注意ください。")


def _existing(path: Path) -> Path:
    """The nearest folder that exists: a store folder may not have been made yet."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _innermost(target: str, mounts: Iterable[tuple[str, str]]) -> str:
    """The type of the longest mount point (point, type) that holds ``target``; "" when none."""
    best, kind = "", ""
    for point, point_kind in mounts:
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, point_kind
    return kind


def _linux_mounts(table: str) -> Iterator[tuple[str, str]]:
    for line in table.splitlines():  # "//nas/share /mnt/office cifs rw,… 0 0"
        fields = line.split()
        if len(fields) >= 3:
            yield _unescape(fields[1]), fields[2]


def _mac_mounts(listing: str) -> Iterator[tuple[str, str]]:
    for line in listing.splitlines():  # "//user@server/share on /Volumes/share (smbfs, nodev, …)"
        if " on " in line and "(" in line:
            yield line.split(" on ", 1)[1].rsplit(" (", 1)[0], line.rsplit("(", 1)[1].split(",")[0].strip(" )")


def mount_type(path: Path, mounts: str | None = None) -> str:
    """The filesystem type of the mount holding ``path`` on Linux (``/proc/self/mounts``); a
    given ``mounts`` table is matched against ``path`` as written."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        target = os.path.realpath(_existing(path))  # a new folder lands on its parent's disk
    else:
        target = os.path.normpath(path)
    return _innermost(target, _linux_mounts(mounts))


def _mac_mount_type(path: Path) -> str:
    try:
        listing = subprocess.run(["/sbin/mount"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return _innermost(os.path.realpath(_existing(path)), _mac_mounts(listing))


def _windows_remote(path: Path) -> str:
    text = os.path.abspath(path)
    if text.upper().startswith("\\\\?\\UNC\\") or (text.startswith("\\\\") and not text.startswith(("\\\\?\\", "\\\\.\\"))):
        return "UNC"  # \\server\share; \\?\C:\ and \\.\ name local paths
    import ctypes

    drive = os.path.splitdrive(text)[0] + "\\"
    return "ネットワークドライブ" if ctypes.windll.kernel32.GetDriveTypeW(drive) == DRIVE_REMOTE else ""


def network_kind(path: Path) -> str:
    """A short name of the network filesystem holding ``path``, or "" when it is local."""
    if sys.platform == "win32":
        return _windows_remote(path)
    kind = _mac_mount_type(path) if sys.platform == "darwin" else mount_type(path)
    return kind if kind.lower() in NETWORK_FS else ""


def writable(folder: Path) -> bool:
    """Whether a file can really be made in ``folder`` (permissions, read-only mounts, ACLs)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def check_location(root: Path) -> None:
    """Refuse a store folder on a network share or in a folder that cannot be written."""
    root = Path(root)
    kind = network_kind(root)
    if kind:
        raise StoreError(ON_SHARE.format(path=root, kind=kind))
    folder = _existing(root)
    database = root / "shakyo.db"
    if not writable(folder) or (database.exists() and not os.access(database, os.W_OK)):
        raise StoreError(READ_ONLY.format(path=root))
