"""The one clock: pinned in tests, readable from the environment, followed by the services."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime

from shakyo_desk.domain import clock
from shakyo_desk.domain.dates import parse_date_text


def test_the_suite_is_pinned():
    assert isinstance(clock.current(), clock.FixedClock)
    assert clock.today() == date.fromisoformat(os.environ["SHAKYO_TODAY"])


def test_pinned_moves_every_reader_and_puts_the_clock_back():
    before = clock.current()
    with clock.pinned(date(2028, 2, 29)) as fixed:
        assert clock.today() == date(2028, 2, 29)
        assert parse_date_text("今日") == date(2028, 2, 29) and parse_date_text("昨日") == date(2028, 2, 28)
        fixed.advance(days=1)
        assert clock.today() == date(2028, 3, 1)
    assert clock.current() is before


def test_utc_and_local_describe_the_same_moment():
    fixed = clock.FixedClock(datetime(2027, 4, 1, 9, 0).astimezone())
    assert fixed.utcnow().tzinfo is None
    assert fixed.utcnow().replace(tzinfo=UTC) == fixed.now()


def test_the_system_clock_reads_the_computer(monkeypatch):
    """SystemClock asks the computer's clock (here a stand-in at a known moment, so the test
    holds at any hour), in local time for now/today and naive UTC for utcnow."""
    moment = datetime(2027, 4, 1, 23, 59, 30, tzinfo=UTC)

    class Computer(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Computer)
    real = clock.SystemClock()
    assert real.now() == moment and real.now().utcoffset() is not None
    assert real.utcnow() == moment.replace(tzinfo=None)
    assert real.today() == moment.astimezone().date()


def test_a_process_started_with_shakyo_today_lives_on_that_day():
    env = {**os.environ, "SHAKYO_TODAY": "2031-05-06"}
    code = "from shakyo_desk.domain import clock; print(clock.today())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "2031-05-06", result.stderr
    env.pop("SHAKYO_TODAY")
    code = "from shakyo_desk.domain import clock; print(type(clock.current()).__name__)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "SystemClock", result.stderr  # without it, the computer's clock
