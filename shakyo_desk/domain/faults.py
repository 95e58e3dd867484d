"""Faults the program survives: an unexpected error inside one part of a longer run (one file
of a sync import) is recorded, and the run goes on with the next part.

The recorder writes a crash report (`shakyo_desk.crash_report`, which sits above every layer
that needs this); the entry points install it — `cli.main` and `ui/app.run` — the way they
install their last-line handlers. `record` returns where the report went, or None when no
recorder is installed or writing it failed: recording is a help, never a second failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Recorder = Callable[[BaseException, str], Path]

_recorder: Recorder | None = None


def install(recorder: Recorder | None) -> Recorder | None:
    """Set the recorder (None: none); returns the one it replaces."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def record(error: BaseException, where: str) -> Path | None:
    recorder = _recorder
    if recorder is None:
        return None
    try:
        return recorder(error, where)
    except Exception:  # noqa: BLE001 - a report that cannot be written must not hide the fault's result
        return None
