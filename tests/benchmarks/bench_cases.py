"""Issue 18: case work on the reference store (large-town: about 2,000 支援ケース over ten years,
most of them closed, with plans, goals, actions and monitoring).

- Opening a case whole, as the 支援ケース screen and ``case show`` do: the case, its sheets and
  status history, the assessment, every plan version with goals, actions and monitoring, the
  evaluations, and the audited view (``case_views.get_case``). Target 100 ms.
- The review-due list (``case list --review-due``, the 見守り予定 page): every open case's next
  review, the due ones earliest first (``case_views.list_cases(review_due=True)``). Target 300 ms.
  As a coordinator (every household) and as a staff member (their districts)."""

import random

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.services import accounts, case_views
from shakyo_desk.store.writer import Actor

from .common import Result, measure

OPEN_TARGET_MS = 100.0
DUE_TARGET_MS = 300.0


def _size(detail) -> tuple[int, int, int]:
    goals = [g for p in detail.plans for g in p.goals]
    return len(goals), sum(len(g.monitoring) for g in goals), sum(len(g.actions) for g in goals)


def _staff(store):
    account = next(a for a in accounts.list_accounts(store) if a.role == Role.STAFF and a.active)
    return store.as_actor(Actor(account.id, account.login, account.display_name, account.role,
                                frozenset(account.district_ids))), account


def bench_cases(ctx) -> list[Result]:
    store = ctx.store
    today = clock.today()
    every = case_views.list_cases(store, today=today)
    open_cases = [c for c in every if c.status != "終結"]
    rng = random.Random(18)
    sample = rng.sample([c.id for c in every], min(50, len(every)))
    details = {c.id: case_views.get_case(store, c.id, log=False) for c in every}
    largest = max(details, key=lambda i: _size(details[i]))
    goals, checks, actions = _size(details[largest])
    pick = iter(rng.choice(sample) for _ in range(10_000))
    results = [measure(
        "open a case whole (plans, monitoring; audited view)",
        lambda: case_views.get_case(store, next(pick)), ctx.repeat * 3, OPEN_TARGET_MS,
        note=f"{len(every):,} cases ({len(open_cases):,} open); {len(sample)} picked at random")]
    results.append(measure(
        "open the largest case (most goals, then monitoring)", lambda: case_views.get_case(store, largest), ctx.repeat * 3,
        OPEN_TARGET_MS, note=f"{len(details[largest].plans)} plan versions, {goals} goals, {actions} actions, "
                             f"{checks} monitoring records"))
    due = case_views.list_cases(store, review_due=True, today=today)
    results.append(measure(
        "review-due list (case list --review-due), coordinator",
        lambda: case_views.list_cases(store, review_due=True, today=today), ctx.repeat, DUE_TARGET_MS,
        note=f"{len(due)} due of {len(open_cases)} open cases"))
    staff, account = _staff(store)
    mine = case_views.list_cases(staff, review_due=True, today=today)
    results.append(measure(
        f"review-due list, staff member of {len(account.district_ids)} districts",
        lambda: case_views.list_cases(staff, review_due=True, today=today), ctx.repeat, DUE_TARGET_MS,
        note=f"{len(mine)} due"))
    results.append(measure(
        "open cases list (支援ケース page), coordinator",
        lambda: case_views.list_cases(store, status="open", today=today), ctx.repeat, DUE_TARGET_MS))
    return results
