"""The one safe file writer: every file the app writes goes through here (stdlib only).

A file is written under a temporary name in its target's folder, created exclusively and
readable by the owner only (``O_CREAT | O_EXCL``, mode 0600, so there is no moment when it is
world-readable), flushed and fsynced, renamed over the target (``os.replace``: the old file,
if any, stays whole until then) and the folder is fsynced so the rename itself reaches the
disk. Any failure before the rename removes the temporary file and leaves the old file
untouched. Folders we create are 0700.

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
from pathlib import Path
from typing import BinaryIO

PARTIAL_SUFFIX = ".partial"
FILE_MODE = 0o600
DIR_MODE = 0o700

_POSIX = os.name != "nt"
_CREATE_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
_ATTEMPTS = 100


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


def _chmod(path: Path, mode: int) -> None:
    if _POSIX:
        try:
            os.chmod(path, mode)
        except OSError:
            pass


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


__all__ = ["DIR_MODE", "FILE_MODE", "PARTIAL_SUFFIX", "StagedFile", "fsync_dir", "make_private_dir", "restrict_dir",
           "restrict_file", "stage", "write_atomic"]
