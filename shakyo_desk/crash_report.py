"""Local crash reports without personal data, for the desktop app and the command line.

A report holds what is needed to find a fault and nothing about villagers or staff: the
version, the platform, the Python (and Qt) versions, the time, the thread, the exception's
type and, for every frame of the traceback, the file, line, function and line of code.

- The exception's message is withheld: it may quote a name or an address from a refused
  input. Only its type and where it happened are kept (for chained exceptions too).
- Local variables are never read.
- Paths are shortened (``shakyo_desk/ui/app.py``, ``site-packages/...``, ``<python>/...``,
  ``~/...``) so the PC's account name does not appear.

Reports are files in the per-user log folder (``platformdirs.user_log_dir``, or
``SHAKYO_LOG_DIR``); only the newest ``KEEP`` are kept. Nothing is ever sent anywhere.
No Qt here: the UI passes its Qt version in ``versions``.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import platform
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

import platformdirs

from shakyo_desk import APP_NAME, __version__
from shakyo_desk.domain import clock, safe_file

KEEP = 20
ENV_LOG_DIR = "SHAKYO_LOG_DIR"  # tests and portable installs: where reports go
PREFIX = "crash-"
SUFFIX = ".txt"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
_MAX_CHAIN = 5

def _file_stamp() -> str:
    # The real clock, not the (possibly pinned) domain clock: names must be unique and sortable.
    ns = time.time_ns()
    return f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(ns // 1_000_000_000))}-{ns % 1_000_000_000:09d}"


def report_dir() -> Path:
    """The folder crash reports are written to (created when the first one is written)."""
    override = os.environ.get(ENV_LOG_DIR)
    if override:
        return Path(override)
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def short_path(filename: str) -> str:
    """A source file's path without anything that names the PC's account."""
    if not filename or filename.startswith("<"):
        return filename  # <frozen importlib._bootstrap>, <string>
    path = Path(filename)
    try:
        return path.resolve().relative_to(_PACKAGE_PARENT).as_posix()
    except (ValueError, OSError):
        pass
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker):])
    for prefix in {sys.base_prefix, sys.prefix, sys.exec_prefix}:
        try:
            return "<python>/" + path.relative_to(prefix).as_posix()
        except ValueError:
            continue
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        return ".../" + path.name


def _type_name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    return exc_type.__qualname__ if module in ("builtins", "__main__") else f"{module}.{exc_type.__qualname__}"


def _frames(tb: TracebackType | None) -> list[str]:
    lines = []
    summary = traceback.StackSummary.extract(traceback.walk_tb(tb), capture_locals=False, lookup_lines=True)
    for frame in summary:
        lines.append(f'  File "{short_path(frame.filename)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and what led to it, oldest first (as Python prints them)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < _MAX_CHAIN:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return list(reversed(chain))


def signature(error: BaseException) -> tuple:
    """What makes two crashes the same (type and where), for not writing the same report twice."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    return (_type_name(type(error)), tuple((short_path(f.filename), f.lineno, f.name) for f in frames))


def format_report(error: BaseException, *, where: str = "desktop", thread_name: str | None = None,
                  versions: Mapping[str, str] | None = None, now: datetime | None = None) -> str:
    now = now or clock.now()
    lines = [
        "社協デスク 予期しないエラーの記録 (shakyo-desk crash report)",
        "この記録には、利用者の氏名・住所や記録の内容は含まれていません。どこにも送信されていません。",
        "",
        f"version: {__version__}",
        f"where: {where}",
        f"time: {now.isoformat(timespec='seconds')}",
        f"platform: {platform.platform()} ({platform.machine()})",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
    ]
    for name, value in (versions or {}).items():
        lines.append(f"{name}: {value}")
    lines.append(f"thread: {thread_name or threading.current_thread().name}")
    lines.append(f"exception: {_type_name(type(error))}")
    lines.append("")
    for index, link in enumerate(_chain(error)):
        if index:
            lines.append("")
            lines.append("The above exception was the direct cause of the following exception:"
                         if link.__cause__ is not None
                         else "During handling of the above exception, another exception occurred:")
            lines.append("")
        lines.append("Traceback (most recent call last):")
        lines.extend(_frames(link.__traceback__))
        lines.append(f"{_type_name(type(link))}: (message withheld: it may contain personal data)")
    return "\n".join(lines) + "\n"


def prune(folder: Path, keep: int = KEEP) -> None:
    """Keep only the newest ``keep`` reports (their names sort by time); empty ones are the
    hard-crash files of runs that ended normally (``record_fatal_errors``)."""
    try:
        live = _fatal_file["path"]
        for empty in folder.glob(f"{PREFIX}*{SUFFIX}"):
            if empty != live and empty.is_file() and empty.stat().st_size == 0:
                empty.unlink(missing_ok=True)
        reports = sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file() and p != live)
        for old in reports[:-keep] if keep > 0 else reports:
            old.unlink(missing_ok=True)
        for stale in folder.glob(f"{PREFIX}*{SUFFIX}.partial"):
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def save_report(text: str, *, folder: Path | None = None, keep: int = KEEP) -> Path:
    """Write a report's text as a new file (atomically) and keep only the newest ``keep``;
    ``OSError`` when the folder cannot be written."""
    folder = folder or report_dir()
    safe_file.make_private_dir(folder)
    path = folder / f"{PREFIX}{_file_stamp()}-{os.getpid()}{SUFFIX}"
    # A fixed ``.partial`` name, so that ``prune`` finds what an interrupted write left.
    safe_file.write_atomic(path, text.encode("utf-8"), temp_name=path.name + safe_file.PARTIAL_SUFFIX)
    prune(folder, keep)
    return path


def write_report(error: BaseException, *, folder: Path | None = None, keep: int = KEEP, where: str = "desktop",
                 thread_name: str | None = None, versions: Mapping[str, str] | None = None) -> Path:
    """``format_report`` then ``save_report``: the new report's path."""
    return save_report(format_report(error, where=where, thread_name=thread_name, versions=versions),
                       folder=folder, keep=keep)


_fatal_file: dict = {"path": None, "handle": None}


def record_fatal_errors(folder: Path | None = None) -> Path | None:
    """A hard crash (a fault inside Qt, an interpreter abort) cannot be caught by Python, but
    ``faulthandler`` can still write the stack (files, lines and functions only) into a file
    opened now. That file is one of the reports; a run that ends normally leaves it empty and
    it is removed. ``None`` when the folder cannot be written."""
    if _fatal_file["handle"] is not None:
        return _fatal_file["path"]
    folder = folder or report_dir()
    try:
        safe_file.make_private_dir(folder)
        prune(folder)
        path = folder / f"{PREFIX}{_file_stamp()}-{os.getpid()}-fatal{SUFFIX}"
        handle = safe_file.open_private(path)  # owner-only; open for the whole run
    except OSError:
        return None
    _fatal_file.update(path=path, handle=handle)
    faulthandler.enable(file=handle, all_threads=True)
    atexit.register(_end_fatal_record)
    return path


def _end_fatal_record() -> None:
    path, handle = _fatal_file["path"], _fatal_file["handle"]
    if handle is None:
        return
    faulthandler.disable()
    handle.close()
    _fatal_file.update(path=None, handle=None)
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass
