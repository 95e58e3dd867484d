import os
import tempfile
from datetime import date

# UI tests run without a screen (DESIGN §8).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Crash reports written by tests go to a temporary folder, never the real per-user log folder.
os.environ.setdefault("SHAKYO_LOG_DIR", tempfile.mkdtemp(prefix="shakyo-test-logs-"))

# The test suite's switch (shakyo_desk/store/keyfile.py, SHAKYO_TEST_SUITE): only here may the light
# key derivation (FAST_KDF, SHAKYO_FAST_KDF=1) be used, and weak key entries are left as they are at
# unlock so the suite stays fast. It names this file, which must exist and mention the switch;
# subprocesses started by tests inherit it. A test of a normal run removes it from the environment.
os.environ["SHAKYO_TEST_SUITE"] = os.path.abspath(__file__)

# Every test lives on one pinned day (shakyo_desk/domain/clock.py), so nothing depends on the
# day the suite runs. `SHAKYO_TODAY=2028-02-29 python3 -m pytest` runs the suite on another day;
# subprocesses started by tests inherit it.
os.environ.setdefault("SHAKYO_TODAY", "2026-12-07")

# PySide6 6.12 on CPython 3.11 drops references to None/True/False (shakyo_desk/ui/refcounts.py).
from shakyo_desk.ui.refcounts import pin_singletons  # noqa: E402

pin_singletons()

import pytest  # noqa: E402

from shakyo_desk.domain import clock  # noqa: E402

PINNED = clock.FixedClock(date.fromisoformat(os.environ["SHAKYO_TODAY"]))


@pytest.fixture(autouse=True)
def pinned_clock():
    """A fresh copy of the pinned clock for each test: a test that moves it moves only its own."""
    fixed = clock.FixedClock(PINNED.moment)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


@pytest.fixture
def pin_today(pinned_clock):
    """For tests whose records carry fixed dates: ``pin_today(date(2026, 1, 15))`` moves this
    test's clock to the day those records were written for."""

    def pin(day: date) -> None:
        pinned_clock.moment = clock.FixedClock(day).moment

    return pin
