"""The one source of "today" and "now" for services, the demo generator, reports and screens.

Everything that decides by the date (overdue 見守り, 年度, age bands, a conference being
upcoming, retention) asks this module, never ``date.today()`` or ``datetime.now()``. Tests
pin it (``tests/conftest.py``), so the suite passes whatever the wall clock says; the demo
and the guide's screenshots can pin it too (``open_demo(..., today=)``, ``SHAKYO_TODAY``).

The hybrid logical clock that orders changes (``domain/hlc.py``) is not a date anyone reads
and keeps real milliseconds; durations use ``time.monotonic``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

ENV_TODAY = "SHAKYO_TODAY"  # ISO date: a process started with it lives on that day


class SystemClock:
    """The computer's clock."""

    def now(self) -> datetime:
        """Aware local time."""
        return datetime.now().astimezone()

    def utcnow(self) -> datetime:
        """Naive UTC, as stored (SQLite has no time zones)."""
        return datetime.now(UTC).replace(tzinfo=None)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock pinned to one local moment (10:00 on ``day`` unless told otherwise)."""

    def __init__(self, day: date | datetime, at: time = time(10, 0)):
        moment = day if isinstance(day, datetime) else datetime.combine(day, at)
        self.moment = moment if moment.tzinfo else moment.astimezone()

    def now(self) -> datetime:
        return self.moment

    def utcnow(self) -> datetime:
        return self.moment.astimezone(UTC).replace(tzinfo=None)

    def today(self) -> date:
        return self.moment.date()

    def advance(self, **delta: float) -> None:
        """Move the pinned moment (``days=1``, ``minutes=5``…)."""
        self.moment += timedelta(**delta)


def _from_environment() -> SystemClock | FixedClock:
    pinned = os.environ.get(ENV_TODAY, "").strip()
    return FixedClock(date.fromisoformat(pinned)) if pinned else SystemClock()


_current: SystemClock | FixedClock = _from_environment()


def current() -> SystemClock | FixedClock:
    return _current


def set_clock(clock: SystemClock | FixedClock) -> SystemClock | FixedClock:
    """Replace the clock; returns the previous one so a caller can put it back."""
    global _current
    previous, _current = _current, clock
    return previous


@contextmanager
def pinned(day: date | datetime) -> Iterator[FixedClock]:
    """Run a block on a pinned day: ``with clock.pinned(date(2027, 1, 4)): ...``."""
    fixed = FixedClock(day)
    previous = set_clock(fixed)
    try:
        yield fixed
    finally:
        set_clock(previous)


def today() -> date:
    return _current.today()


def now() -> datetime:
    return _current.now()


def utcnow() -> datetime:
    return _current.utcnow()
