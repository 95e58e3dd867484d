"""Running database, disk and crypto work off the GUI thread.

``ThreadExecutor`` runs every task on one background thread (the one database
writer) and hands results back on the GUI thread through a Qt signal.
``SyncExecutor`` runs tasks at once; tests inject it so they are deterministic.

Callbacks that belong to a widget are dropped when that widget has been
deleted meanwhile, so a result never lands on a closed dialog.

Errors are never swallowed. A task's ``UserError`` (a refusal with its own Japanese
sentence) goes to ``on_error`` only. Anything else is a fault: it is handed to the crash
handler the app installs as ``sys.excepthook`` (``ui/crash_dialog.py``: a local report and
the 「予期しないエラー」 dialog; pytest-qt's capture in tests) and then still goes to
``on_error``, so the screen can end its busy state; ``dialogs.error_text`` and
``dialogs.inform_error`` say nothing more about it than the dialog does. A task without
``on_error``, and an exception raised inside ``on_done`` or ``on_error``, are faults too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from shakyo_desk.domain.errors import UserError

log = logging.getLogger(__name__)

Callback = Callable[[Any], None] | None


class Executor(Protocol):
    def submit(self, fn: Callable, *args: Any, on_done: Callback = None, on_error: Callback = None,
               owner: QObject | None = None) -> None: ...

    def shutdown(self) -> None: ...


def _alive(obj: object) -> bool:
    if isinstance(obj, QObject):
        try:
            return shiboken6.isValid(obj)
        except Exception:  # noqa: BLE001
            return False
    return True


def _callback_alive(callback: Callback, owner: QObject | None) -> bool:
    if callback is None:
        return False
    if owner is not None and not _alive(owner):
        return False
    return _alive(getattr(callback, "__self__", None))


def is_fault(error: BaseException) -> bool:
    """Whether an error from a task is a fault (reported as a crash) rather than a refusal."""
    return not isinstance(error, UserError)


def report_fault(error: BaseException) -> None:
    """Hand an error nobody can act on to the crash handler (``sys.excepthook``, whatever is
    installed now: the app's ``CrashHandler``, pytest-qt's capture in tests). Any thread."""
    try:
        sys.excepthook(type(error), error, error.__traceback__)
    except Exception:  # the hook itself failed: still say it somewhere
        log.exception("crash handler failed")
        sys.__excepthook__(type(error), error, error.__traceback__)


def _deliver(callback: Callback, owner: QObject | None, value: Any) -> None:
    """Run a callback on the current thread; an exception inside it is a fault."""
    if not _callback_alive(callback, owner):
        return
    try:
        callback(value)
    except Exception as error:  # noqa: BLE001 - never let a callback kill the loop or the caller
        report_fault(error)


def _failed(error: BaseException, on_error: Callback) -> bool:
    """Report a task's error when it is a fault (or when nobody handles it); whether
    ``on_error`` should still receive it."""
    if on_error is None or is_fault(error):
        report_fault(error)
    return on_error is not None


class SyncExecutor:
    """Runs each task immediately on the calling thread (tests)."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn: Callable, *args: Any, on_done: Callback = None, on_error: Callback = None,
               owner: QObject | None = None) -> None:
        self.calls += 1
        try:
            result = fn(*args)
        except Exception as error:  # noqa: BLE001 - reported and/or handed to on_error
            if _failed(error, on_error):
                _deliver(on_error, owner, error)
            return
        _deliver(on_done, owner, result)

    def shutdown(self) -> None:
        pass


class _Relay(QObject):
    """Lives on the GUI thread; queued signal emissions from the worker land here."""

    ready = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.ready.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, packet: tuple) -> None:
        callback, owner, value = packet
        _deliver(callback, owner, value)


class ThreadExecutor:
    """One background thread for all store work; results come back as signals."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shakyo-store")
        self._relay = _Relay()
        self._closed = False

    def submit(self, fn: Callable, *args: Any, on_done: Callback = None, on_error: Callback = None,
               owner: QObject | None = None) -> None:
        if self._closed:
            return
        relay = self._relay

        def task() -> None:
            try:
                result = fn(*args)
            except Exception as error:  # noqa: BLE001 - reported and/or handed to on_error
                # reported here, on the worker thread (the report names it); the crash
                # handler's dialog is queued to the GUI thread before on_error is
                if _failed(error, on_error) and _alive(relay):
                    relay.ready.emit((on_error, owner, error))
                return
            if on_done is not None and _alive(relay):
                relay.ready.emit((on_done, owner, result))

        self._pool.submit(task)

    def shutdown(self) -> None:
        """Finish what is queued (e.g. closing the store), then stop."""
        self._closed = True
        self._pool.shutdown(wait=True)


class LatestOnly:
    """Keeps only the newest of overlapping requests (search as you type).

    ``wrap`` returns a callback that is silently dropped if a newer request was
    made after this one."""

    def __init__(self) -> None:
        self.seq = 0

    def next(self) -> int:
        self.seq += 1
        return self.seq

    def wrap(self, seq: int, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def guarded(value: Any) -> None:
            if seq == self.seq:
                callback(value)

        return guarded
