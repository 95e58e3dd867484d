"""The demo village generator: a pure, seeded plan, then a write step.

``make_plan(profile, seed, today)`` is deterministic: the same profile, seed
and date give the same districts, staff, agencies, households and persons (ids
are made at write time). ``write_plan`` puts the plan into a store through the
one write path (``Writer.insert``), so every row has its change-log and audit
entries like data entered by hand.

Each part is a list of steps: plan steps (each fills one part of the plan with its own
random stream, so adding a step never changes what the earlier ones produce) and write
steps (each writes one part, reporting progress in units). The village itself (districts,
staff, agencies, households) comes from ``village``, field records (places, contacts,
salons, sheets, referrals) from ``fieldwork``, conferences with consents and handout
copies from ``conferences``, cases closed years ago (past retention) from ``closed_cases``,
支援ケース at every stage (issue 18) from ``cases``, the 支え合い network, 担い手, 地域活動 and
地域課題 (issue 19) from ``community``.
Whatever the day, the plan holds what the tests and the 操作ガイド rely on (every kind of
meeting held, an upcoming 支援会議 and 重層的支援会議 with a consent gap, a handful of
households overdue for 見守り): ``tests/demo/test_every_day.py`` checks it day by day.
"""

import random
from collections.abc import Callable
from datetime import date

from shakyo_desk.demo import cases, closed_cases, community, conferences, fieldwork, village
from shakyo_desk.demo import names as N
from shakyo_desk.demo.village import PROFILES, Plan, PlanStep, Profile, WriteContext, WriteStep
from shakyo_desk.domain import clock

__all__ = ["PROFILES", "Profile", "WriteContext", "all_plan_steps", "all_write_steps", "first_write_steps",
           "later_write_steps", "make_plan", "write_plan"]


def all_plan_steps() -> list[PlanStep]:
    """Households first, then the field records and conferences, which build on them."""
    return (village.PLAN_STEPS + fieldwork.PLAN_STEPS + conferences.PLAN_STEPS + closed_cases.PLAN_STEPS
            + cases.PLAN_STEPS + community.PLAN_STEPS)


def all_write_steps() -> list[WriteStep]:
    return (village.WRITE_STEPS + fieldwork.WRITE_STEPS + conferences.WRITE_STEPS + closed_cases.WRITE_STEPS
            + cases.WRITE_STEPS + community.WRITE_STEPS)


def first_write_steps() -> list[WriteStep]:
    """What a usable window needs (open_demo_early): districts, accounts, agencies, households."""
    return list(village.WRITE_STEPS)


def later_write_steps() -> list[WriteStep]:
    """The records, written while the window is in use (open_demo_early's ``rest``)."""
    first = {s.name for s in first_write_steps()}
    return [s for s in all_write_steps() if s.name not in first]


def first_plan_steps() -> list[PlanStep]:
    """What ``first_write_steps`` write: the village itself."""
    return list(village.PLAN_STEPS)


def later_plan_steps() -> list[PlanStep]:
    first = {s.name for s in first_plan_steps()}
    return [s for s in all_plan_steps() if s.name not in first]


def make_plan(profile: str | Profile, seed: int | None = None, today: date | None = None, *,
              steps: list[PlanStep] | None = None) -> Plan:
    """The pure, deterministic part: same (profile, seed, today) → same plan. ``steps``: only
    the first of them (``continue_plan`` runs the others later, with the same result)."""
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    seed = prof.seed if seed is None else seed
    place = N.PLACES[prof.name]
    plan = Plan(prof, seed, today or clock.today(), place["council"], place["municipality"])
    return continue_plan(plan, all_plan_steps() if steps is None else steps)


def continue_plan(plan: Plan, steps: list[PlanStep]) -> Plan:
    """Each step with its own random stream: running them in two goes gives the same plan."""
    for step in steps:
        step.run(plan, random.Random(f"{plan.profile.name}:{plan.seed}:{step.name}"))
    return plan


def write_plan(ctx: WriteContext, progress: Callable[[int, int, str], None] | None = None, *,
               done_before: int = 0, total: int | None = None, steps: list[WriteStep] | None = None) -> None:
    """Run every write step (or ``steps``) in order, reporting ``progress(done, total, label)``."""
    steps = all_write_steps() if steps is None else steps
    total = total if total is not None else done_before + sum(s.units(ctx.plan) for s in steps)
    done = done_before
    for step in steps:
        if progress:
            progress(done, total, step.label)

        def tick(n: int, _label: str = step.label) -> None:
            nonlocal done
            done += n
            if progress:
                progress(min(done, total), total, _label)

        step.run(ctx, tick)
