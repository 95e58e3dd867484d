"""The demo village holds what the tests and the 操作ガイド rely on, whatever the day it is
generated on (tests/demo/invariants.py): 60 consecutive days around each kind of date that
moves things (a year boundary, a 年度 boundary with a leap day, Golden Week)."""

from datetime import date, timedelta

import pytest

from shakyo_desk.demo.generator import make_plan
from tests.demo.invariants import problems

WINDOWS = {
    "year boundary": date(2027, 12, 2),            # … 2028-01-30
    "leap day and 年度": date(2028, 2, 10),          # 2028-02-29, 2028-04-01 … 2028-04-09
    "Golden Week": date(2028, 4, 12),              # 2028-04-29 … 2028-05-07 … 2028-06-10
}


@pytest.mark.parametrize("first", WINDOWS.values(), ids=WINDOWS.keys())
def test_sixty_days_in_a_row_each_keep_the_promises(first):
    failures = {}
    for offset in range(60):
        day = first + timedelta(days=offset)
        found = problems(make_plan("village", today=day))
        if found:
            failures[day.isoformat()] = found
    assert not failures


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_other_seeds_keep_them_too(seed):
    for day in (date(2026, 12, 7), date(2027, 3, 31), date(2028, 5, 3)):
        assert problems(make_plan("village", seed, today=day)) == [], (seed, day)


def test_the_check_itself_notices_a_broken_promise():
    plan = make_plan("village", today=date(2026, 12, 7))
    assert problems(plan) == []
    plan.conferences = [c for c in plan.conferences if c.meeting_type != "community-care"]
    plan.referrals = []
    found = problems(plan)
    assert any("community-care" in p for p in found) and any("referrals" in p for p in found)
