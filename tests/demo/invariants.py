"""What the tests and the 操作ガイド rely on in the demo village, checked on the plan alone
(pure and fast, so it can run for many days). Each check returns a problem sentence or None."""

from collections import Counter
from datetime import date

from shakyo_desk.domain.schedule import due_date
from shakyo_desk.domain.vocab import CONFERENCE_TYPES

FAILED = "不在"


def overdue_watch(plan) -> list[int]:
    """Households on the 見守り schedule whose next contact is due today or earlier, as ``due_list``
    computes it on the store (the last successful contact, or registration on ``plan.today``)."""
    latest: dict[int, object] = {}
    for c in plan.contacts:
        if c.household is None or c.method == FAILED:
            continue
        seen = latest.get(c.household)
        if seen is None or (c.on, c.time) >= (seen.on, seen.time):
            latest[c.household] = c
    due = []
    for i, h in enumerate(plan.households):
        last = latest.get(i)
        day = due_date(last.on if last else None, last.next_contact if last else None,
                       h.watch_interval_days, None, plan.today)
        if day is not None and day <= plan.today:
            due.append(i)
    return due


def _consented(plan, ref, conference) -> bool:
    return any(c.person == ref and "multi-agency" in c.types and c.given_on <= conference.held_on
               and (c.withdrawn_on is None or c.withdrawn_on > conference.held_on) for c in plan.consents)


def problems(plan) -> list[str]:
    today: date = plan.today
    found = []
    held = Counter(c.meeting_type for c in plan.conferences if c.held_on <= today)
    for kind in CONFERENCE_TYPES:
        if not held[kind]:
            found.append(f"no {kind} conference held by {today}")
    upcoming = [c for c in plan.conferences if c.held_on > today]
    if not any(c.meeting_type == "support" and len(c.cases) >= 2 for c in upcoming):
        found.append("no upcoming 支援会議 with two or more households")
    multi = [c for c in upcoming if c.meeting_type == "multi-agency"]
    if not multi:
        found.append("no upcoming 重層的支援会議")
    elif not any(not _consented(plan, (k.household, m), c) and p.age >= 18
                 for c in multi for k in c.cases for m, p in enumerate(plan.households[k.household].members)):
        found.append("the upcoming 重層的支援会議 has no consent gap to show")
    due = len(overdue_watch(plan))
    if not 1 <= due <= 15:
        found.append(f"{due} households overdue for 見守り (want 1–15)")
    open_sheets = sum(s.status in ("受付", "確認中") for s in plan.sheets)
    if not 3 <= open_sheets <= 15:
        found.append(f"{open_sheets} sheets in the inbox (want 3–15)")
    follow_ups = sum(r.outcome == "確認中" and r.follow_up is not None and r.follow_up <= today for r in plan.referrals)
    if not 1 <= follow_ups <= 10:
        found.append(f"{follow_ups} referrals overdue for follow-up (want 1–10)")
    found += case_problems(plan)
    found += community_problems(plan)
    return found


def community_problems(plan) -> list[str]:
    """The community side (issue 19): the network's promised shape, and every date in order."""
    from shakyo_desk.demo.community import needs_tie

    today, found, c = plan.today, [], plan.community
    live = Counter(t.household for t in c.ties if t.ended_on is None)
    needy = [i for i, h in enumerate(plan.households) if needs_tie(h)]
    if sum(1 <= live[i] <= 3 for i in needy) < 0.75 * len(needy):
        found.append("fewer than 3 in 4 elderly households with one to three ties")
    if not 3 <= sum(not live[i] for i in needy) <= 0.2 * len(needy):
        found.append("not a few elderly households without a tie")
    load = Counter(t.supporter for t in c.ties if t.supporter is not None and t.ended_on is None)
    if not any(n >= 8 for n in load.values()) or sum(n > 5 for n in load.values()) < 2:
        found.append("no overloaded 民生委員 and neighbour")
    if not any((today - t.recorded_on).days > 365 for t in c.ties if t.ended_on is None):
        found.append("no tie unconfirmed for more than a year")
    for t in c.ties:
        if not (t.since is None or t.since <= t.recorded_on) or t.recorded_on > today \
                or (t.ended_on is not None and not t.recorded_on <= t.ended_on <= today):
            found.append(f"a tie's dates out of order: {t.since} {t.recorded_on} {t.ended_on}")
            break
    if any(a.held_on > today for a in c.activities) or not any(a.issue for a in c.activities):
        found.append("activities in the future, or none raising a 地域課題")
    if any(s.since is not None and s.since > today for s in c.supporters):
        found.append("a 担い手 registered in the future")
    return found


def case_problems(plan) -> list[str]:
    """支援ケース (issue 18): every stage shown, one reopened, reviews overdue and due this week."""
    today: date = plan.today
    found = []
    statuses = Counter(c.status for c in plan.support_cases)
    for status in ("受付", "アセスメント", "支援中", "モニタリング", "終結"):
        if not statuses[status]:
            found.append(f"no support case at {status}")
    if not any(c.reopened_on for c in plan.support_cases):
        found.append("no reopened support case")
    reviews = [c.next_review() for c in plan.support_cases]
    if not any(d is not None and d < today for d in reviews):
        found.append("no support case overdue for review")
    if not any(d is not None and 0 <= (d - today).days <= 6 for d in reviews):
        found.append("no support case due for review this week")
    return found
