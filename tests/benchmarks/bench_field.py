"""Issue 3 targets: household timeline, saving a contact, the 見守り due list,
saving a 30-person salon session."""

import random
from datetime import timedelta

from shakyo_desk.domain.schedule import week_of
from shakyo_desk.store.services import contacts, households, salons, timeline, watch

from .common import Result, measure
from shakyo_desk.domain import clock


def _busiest_households(store, n: int) -> list[str]:
    """Households with the most contacts: the slow end of timeline opening."""
    rows = contacts.list_contacts(store, limit=20_000)
    counts: dict[str, int] = {}
    for c in rows:
        if c.household_id:
            counts[c.household_id] = counts.get(c.household_id, 0) + 1
    ranked = sorted(counts, key=counts.get, reverse=True)
    return ranked[:n] or [r.id for r in households.list_households(store, limit=n)]


def bench_timeline(ctx) -> list[Result]:
    store = ctx.store
    busiest = _busiest_households(store, 20)
    sample = iter(busiest * 100)
    sizes = sorted(len(timeline.household_timeline(store, h, log=False)) for h in busiest[:5])
    return [measure("open a household timeline (busiest households, audited)",
                    lambda: timeline.household_timeline(store, next(sample)), ctx.repeat * 3, 100.0,
                    note=f"{sizes[-1]} entries in the largest")]


def bench_save_contact(ctx) -> list[Result]:
    store = ctx.store
    ids = [r.id for r in households.list_households(store, limit=2000)]
    rng = random.Random(5)
    today = clock.today()
    return [measure("save a contact (row + change log + audit)",
                    lambda: contacts.add_contact(store, household_id=rng.choice(ids), seen_heard="ベンチマーク",
                                                 concerns=["介護"], today=today), ctx.repeat * 3, 30.0)]


def bench_due_list(ctx) -> list[Result]:
    store = ctx.store
    _, sunday = week_of(clock.today())
    size = len(watch.due_list(store, until=sunday))
    return [measure("load this week's 見守り due/overdue list", lambda: watch.due_list(store, until=sunday),
                    ctx.repeat, note=f"{size} households due (no target in DESIGN §9)")]


def bench_salon_session(ctx) -> list[Result]:
    store = ctx.store
    district = households.list_households(store, limit=1)[0].district_id
    people = []
    for row in households.list_households(store, district_id=district, limit=60):
        people += [m.id for m in households.get_household(store, row.id, log=False).members]
    people = people[:30]
    salon = salons.add_salon(store, "ベンチマーク用サロン", district)
    salons.set_regulars(store, salon, people)
    days = iter(clock.today() - timedelta(days=i) for i in range(1, 10_000))
    return [measure("save a 30-person salon session (one transaction)",
                    lambda: salons.record_session(store, salon, next(days), attendee_ids=people, unnamed_count=2,
                                                  remarks=["ベンチマーク"]), ctx.repeat * 2,
                    note=f"{len(people)} named attendees (no target in DESIGN §9)")]


def bench_contact_list(ctx) -> list[Result]:
    store = ctx.store
    districts_ids = list({r.district_id for r in households.list_households(store, limit=200)})
    pick = iter(districts_ids * 1000)
    return [
        measure("訪問記録 page: newest 500 contacts", lambda: contacts.list_contacts(store), ctx.repeat),
        measure("訪問記録 page: newest 500 of one district", lambda: contacts.list_contacts(store, district_id=next(pick)),
                ctx.repeat),
    ]
