"""The one safe file writer: every file the app writes goes through here (stdlib only).

A file is written under a temporary name in its target's folder, created exclusively and
readable by the owner only (``O_CREAT | O_EXCL``, mode 0600, so there is no moment when it is
world-readable), flushed and fsynced, renamed over the target (``os.replace``: the old file,
if any, stays whole until then) and the folder is fsynced so the rename itself reaches the
disk. Any failure before the rename removes the temporary file and leaves the old file
untouched. Folders we create are 0700. ``copy_private`` copies a file the same way.

A few files are written in place by someone else: SQLite's database (its ``-wal``, ``-shm`` and
``-journal`` files take the database's mode) and the hard-crash record ``faulthandler`` fills.
``create_private`` and ``open_private`` make them owner-only before the first byte;
``restrict_tree`` narrows a folder of ours that an older version left with looser modes.

Temporary names always end in ``.partial``, which importers and restore refuse. By default
the name is unique (``.<name>.<random>.partial``) so two writers never share one; a caller
whose format promises a fixed name (a sync bundle is written as ``name.partial``) passes it.

Windows cannot open a folder to fsync it and has no POSIX modes: those steps are skipped
there (``chmod`` would only toggle the read-only flag). Errors stay ``OSError``; callers turn
them into their own Japanese sentences.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, TextIO

PARTIAL_SUFFIX = ".partial"
FILE_MODE = 0o600
DIR_MODE = 0o700

_POSIX = os.name != "nt"
_CREATE_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
_ATTEMPTS = 100
_COPY_BLOCK = 1 << 20


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable. Best effort: Windows and some share and FAT
    drivers cannot fsync a folder, and the file itself is already complete by then."""
    if not _POSIX:
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_private_dir(folder: Path, *, parents: bool = True, exist_ok: bool = True) -> Path:
    """Create ``folder`` (and, with ``parents``, missing parents) with mode 0700. A folder that
    already exists is left as it is (``restrict_dir`` tightens one that is ours)."""
    folder = Path(folder)
    if parents and not folder.parent.is_dir():
        make_private_dir(folder.parent, parents=True)
    try:
        os.mkdir(folder, DIR_MODE)
    except FileExistsError:
        if exist_ok and folder.is_dir():
            return folder
        raise
    restrict_dir(folder)  # mkdir's mode is narrowed by the umask, never widened: make it exact
    return folder


def restrict_dir(folder: Path) -> None:
    """Mode 0700 on a folder that is ours. Best effort: nothing on Windows, and a file system
    that refuses chmod (FAT, some shares) is not an error."""
    _chmod(folder, DIR_MODE)


def restrict_file(path: Path) -> None:
    """Mode 0600 on a file that is ours but was not written here (e.g. SQLite's database);
    best effort like ``restrict_dir``."""
    _chmod(path, FILE_MODE)


def restrict_tree(folder: Path) -> None:
    """Mode 0700 on ``folder`` and every folder inside it, 0600 on every file: for a folder
    that is wholly ours (a store's ``backups/``, ``staging/``, ``quarantine/``) made by an older
    version with looser modes. Only what we own and what is looser is changed; symbolic links
    are neither followed nor changed. Best effort and quiet, like ``restrict_dir``."""
    if not _POSIX:
        return
    _tighten(Path(folder), DIR_MODE)
    for parent, dirs, files in os.walk(folder, onerror=lambda _error: None):
        for name in dirs:
            _tighten(Path(parent) / name, DIR_MODE)
        for name in files:
            _tighten(Path(parent) / name, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) == mode:
        return
    _chmod(path, mode)


def _chmod(path: Path, mode: int) -> None:
    if _POSIX:
        try:
            os.chmod(path, mode)
        except OSError:
            pass


def create_private(path: Path) -> Path:
    """Make sure ``path`` is a file only the owner can read, for a file that another library
    then writes in place: SQLite's database, whose ``-wal``, ``-shm`` and ``-journal`` files
    take the database file's mode when SQLite creates them. A missing file is created empty
    (SQLite takes an empty file for a new database); an existing one is kept as it is and only
    its mode is narrowed (best effort, like ``restrict_file``)."""
    path = Path(path)
    try:
        fd = os.open(path, _CREATE_FLAGS, FILE_MODE)
    except FileExistsError:
        restrict_file(path)
        return path
    try:
        if _POSIX:
            try:
                os.fchmod(fd, FILE_MODE)
            except OSError:
                pass
    finally:
        os.close(fd)
    return path


def open_private(path: Path, *, encoding: str = "utf-8") -> TextIO:
    """``path`` opened for writing text in place, created (or emptied) readable by the owner
    only: for a file that stays open for a whole run and is filled by something else (the
    hard-crash record that ``faulthandler`` writes into). Not atomic; use ``write_atomic`` for
    anything that has a whole content to write."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        if _POSIX:
            try:
                os.fchmod(fd, FILE_MODE)
            except OSError:
                pass
        return os.fdopen(fd, "w", encoding=encoding)
    except BaseException:
        os.close(fd)
        raise


def sync_file(path: Path) -> None:
    """Flush to the disk a file that someone else wrote in place (SQLite's, made with
    ``create_private``), before the caller renames it over another and ``fsync_dir``s."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _create(path: Path) -> int:
    fd = os.open(path, _CREATE_FLAGS, FILE_MODE)
    if _POSIX:
        try:
            os.fchmod(fd, FILE_MODE)  # exact 0600 whatever the umask
        except OSError:
            pass  # some share drivers refuse chmod; the file was created 0600 or narrower
    return fd


class StagedFile:
    """``target`` being written under a temporary name beside it.

    Write with ``write`` (or ``file``), then ``finish`` (flush, fsync, close) and ``commit``
    (rename into place, fsync the folder); ``commit`` finishes first if needed. Used as a
    context manager, leaving the block without ``commit`` — normally or by an exception —
    discards the temporary file; the target is untouched."""

    def __init__(self, target: Path, temp: Path, fd: int):
        self.target = target
        self.temp: Path | None = temp
        self.committed = False
        try:
            self.file: BinaryIO | None = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise

    def write(self, data: bytes | memoryview) -> None:
        self.file.write(data)

    def finish(self) -> None:
        """Everything written is on the disk under the temporary name."""
        if self.file is None:
            return
        fh = self.file
        fh.flush()
        os.fsync(fh.fileno())
        self.file = None
        fh.close()

    def commit(self) -> Path:
        self.finish()
        os.replace(self.temp, self.target)
        self.temp, self.committed = None, True
        fsync_dir(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Close and remove the temporary file, quietly (the stick may be gone; a leftover
        ``.partial`` is never taken for a finished file)."""
        if self.file is not None:
            fh, self.file = self.file, None
            try:
                fh.close()
            except OSError:
                pass
        if self.temp is not None:
            temp, self.temp = self.temp, None
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def stage(target: Path, *, temp_name: str | None = None, prefix: str | None = None) -> StagedFile:
    """Open a new temporary file for ``target`` in the same folder (0600, created exclusively).

    ``temp_name``: a fixed name (must end in ``.partial``); a stale file of that name, left by
    an earlier interrupted write, is removed first. Otherwise a unique name
    ``<prefix><random>.partial`` (``prefix`` defaults to ``.<target name>.``)."""
    target = Path(target)
    folder = target.parent
    if temp_name is not None:
        if not temp_name.endswith(PARTIAL_SUFFIX) or Path(temp_name).name != temp_name:
            raise ValueError("temp_name must be a plain file name ending in .partial")
        temp = folder / temp_name
        temp.unlink(missing_ok=True)
        return StagedFile(target, temp, _create(temp))
    prefix = f".{target.name}." if prefix is None else prefix
    for _ in range(_ATTEMPTS):
        temp = folder / f"{prefix}{secrets.token_hex(6)}{PARTIAL_SUFFIX}"
        try:
            return StagedFile(target, temp, _create(temp))
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def write_atomic(path: Path, data: bytes, *, temp_name: str | None = None, prefix: str | None = None) -> Path:
    """Replace ``path`` with ``data``, whole or not at all (0600)."""
    with stage(path, temp_name=temp_name, prefix=prefix) as staged:
        staged.write(data)
        return staged.commit()


def copy_private(source: Path, target: Path, *, prefix: str | None = None) -> Path:
    """Copy ``source`` to ``target`` the way ``write_atomic`` writes (0600 from the first byte,
    fsync, rename), reading it in blocks; whatever the source's mode was. A failure while
    reading (a stick pulled halfway) leaves no ``target`` and no temporary file."""
    with open(source, "rb") as src, stage(target, prefix=prefix) as staged:
        while block := src.read(_COPY_BLOCK):
            staged.write(block)
        return staged.commit()


__all__ = ["DIR_MODE", "FILE_MODE", "PARTIAL_SUFFIX", "StagedFile", "copy_private", "create_private", "fsync_dir",
           "make_private_dir", "open_private", "restrict_dir", "restrict_file", "restrict_tree", "stage",
           "sync_file", "write_atomic"]
