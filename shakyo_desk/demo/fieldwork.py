"""Field records for the demo (issue 3): places, outreach contacts, salons with
sessions and attendance, concern sheets with their status history, referrals.

Plan steps are pure and seeded like the others (dates counted back from the
plan's ``today``); write steps go through ``Writer.insert`` as the acting
staff member, so every row has its change-log and audit entries. Values are
what the services would accept: nothing dated after ``today``, next contact
after the contact, sheet histories that follow ``SHEET_TRANSITIONS`` and end
at the sheet's status, follow-ups after the referral.

Imported by ``generator`` (which appends these steps to its lists)."""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shakyo_desk.demo import names as N
from shakyo_desk.demo.village import (
    HouseholdPlan, Plan, PlanStep, WriteContext, WriteStep, _actor_for, clamp,
)
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import SHEET_TRANSITIONS

PersonRef = tuple[int, int]  # (household index in plan.households, member index)

# ---- plan records ------------------------------------------------------------------


@dataclass
class PlacePlan:
    name: str
    kind: str
    district: str
    address: str
    notes: str = ""


@dataclass
class ContactPlan:
    on: date
    time: str
    method: str
    staff: str  # login
    household: int | None  # index in plan.households
    place: int | None  # index in plan.places
    seen_heard: str
    companions: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    urgency: str = ""
    isolation: str = ""
    next_action: str = ""
    next_contact: date | None = None


@dataclass
class RemarkPlan:
    text: str
    person: PersonRef | None
    concerns: list[str]
    sheet: int | None = None  # index in plan.sheets when it became one


@dataclass
class SessionPlan:
    on: date
    activities: str
    helpers: str
    unnamed: int
    attendees: list[PersonRef]
    remarks: list[RemarkPlan] = field(default_factory=list)


@dataclass
class SalonPlan:
    name: str
    district: str
    venue: str
    organiser: str
    schedule: str
    fee_yen: int
    transport: str
    notes: str
    staff: str  # login of the staff member who records its sessions
    regulars: list[PersonRef] = field(default_factory=list)
    sessions: list[SessionPlan] = field(default_factory=list)


@dataclass
class StatusPlan:
    status: str
    on: date
    by: str  # login
    agency: int | None = None  # index in plan.agencies
    note: str = ""


@dataclass
class SheetPlan:
    noticed_on: date
    noticed_by: str
    section: str
    setting: str
    source: str
    household: int | None
    hint: str
    person_of_concern: str
    concerns: list[str]
    urgency: str
    connected: list[int]
    wish: str
    situation: str
    strengths: str = ""
    supporter: str = ""
    handoff: str = ""
    history: list[StatusPlan] = field(default_factory=list)
    from_contact: int | None = None  # index in plan.contacts
    from_remark: tuple[int, int, int] | None = None  # (salon, session, remark)

    @property
    def status(self) -> str:
        return self.history[-1].status


@dataclass
class ReferralPlan:
    agency: int
    on: date
    by: str
    reason: str
    household: int | None
    sheet: int | None
    outcome: str = "確認中"
    outcome_note: str = ""
    follow_up: date | None = None


# ---- helpers -----------------------------------------------------------------------


def _start(plan: Plan) -> date:
    return plan.today - timedelta(days=round(plan.profile.years * 365.25))


def _clock(rng: random.Random, first: int = 9, last: int = 16) -> str:
    hour = rng.choice([h for h in range(first, last + 1) if h != 12])  # not over lunch
    return f"{hour:02d}:{rng.choice([0, 0, 10, 15, 20, 30, 30, 40, 45, 50]):02d}"


def _next_workday(d: date) -> date:
    """A meeting still to come stays to come: a weekend moves forward to Monday."""
    return d + timedelta(days=(7 - d.weekday()) % 7 if d.weekday() >= 5 else 0)


def _workday(d: date, rng: random.Random) -> date:
    """Field work happens on weekdays: a Saturday or Sunday moves back to a weekday of that week."""
    if d.weekday() < 5:
        return d
    return d - timedelta(days=d.weekday() - 4 + rng.randint(0, 4))


def _leaves(plan: Plan):
    return plan.leaf_districts()


def _district_name(plan: Plan, key: str) -> str:
    return next(d.name for d in plan.districts if d.key == key)


def _in_charge(plan: Plan) -> dict[str, str]:
    return {k: s.login for s in plan.staff for k in s.districts}


def _logins(plan: Plan, role: Role) -> list[str]:
    return [s.login for s in plan.staff if s.role == role.value]


def _agency(plan: Plan, concern: str, rng: random.Random) -> int:
    """An agency suited to a concern (by the fictional directory's names)."""
    wanted = {
        "介護": ["地域包括", "居宅介護"], "認知症": ["地域包括"], "生活費・借金": ["まいさぽ", "弁護士"],
        "就労": ["ハローワーク", "まいさぽ"], "障がい": ["相談支援事業所", "住民福祉課"], "子育て": ["子育て支援"],
        "虐待の疑い": ["地域包括", "児童相談所"], "病気・健康": ["保健センター", "診療所"], "ひきこもり": ["まいさぽ", "保健センター"],
        "金銭管理": ["社会福祉士", "地域包括"], "住まい": ["住民福祉課", "まいさぽ"], "孤立": ["地域包括", "民生委員"],
        "8050": ["地域包括", "まいさぽ"], "ごみ屋敷": ["住民福祉課", "地域包括"], "災害": ["住民福祉課"],
    }.get(concern, ["地域包括"])
    matches = [i for i, a in enumerate(plan.agencies) if any(w in a.name for w in wanted)]
    return rng.choice(matches or list(range(len(plan.agencies))))


# ---- places ------------------------------------------------------------------------


def plan_places(plan: Plan, rng: random.Random) -> None:
    areas_seen: set[str] = set()
    for d in _leaves(plan):
        kinds = ["公民館"]
        kinds += ["店"] * rng.choice([0, 1, 1, 2])
        if d.parent not in areas_seen:  # one post office and police box per 地区
            areas_seen.add(d.parent)
            kinds += ["郵便局", "駐在所"]
        if rng.random() < 0.25:
            kinds.append("コンビニ")
        used = set()
        for kind in kinds:
            for _ in range(5):
                name = rng.choice(N.PLACE_TEMPLATES[kind]).format(d=d.name, s=rng.choice(N.SURNAMES)[0])
                if name not in used:
                    break
            used.add(name)
            address = f"{N.PREFECTURE}{plan.municipality}大字{d.name}{rng.randint(1, 3200)}番地"
            plan.places.append(PlacePlan(name, kind, d.key, address))


# ---- contacts ----------------------------------------------------------------------


_METHODS = [("訪問", 50), ("電話", 27), ("同行", 10), ("立ち寄り", 5), ("来所", 8)]


def concern_fits(concern: str, h: HouseholdPlan) -> bool:
    """Whether a concern can be about this household, by its members' ages: no 子育て without a
    child, no 介護 or 認知症 without an older or disabled member, no 8050 without an ageing
    parent and an adult child."""
    ages = [p.age for p in h.members]
    if concern == "子育て":
        return any(a < 18 for a in ages)
    if concern == "8050":
        return "8050" in h.flags or (max(ages) >= 70 and any(p.relation == "子" and 40 <= p.age <= 65
                                                            for p in h.members))
    if concern == "ひきこもり":
        return any(15 <= a <= 64 for a in ages)
    if concern == "就労":
        return any(18 <= a <= 64 for a in ages)
    if concern in ("介護", "認知症"):
        return max(ages) >= 65 or any({"要介護", "障がい"} & set(p.flags) for p in h.members)
    return True


def fitting(concerns, h: HouseholdPlan | None) -> bool:
    return h is None or all(concern_fits(c, h) for c in concerns)


def _refit(plan: Plan, *key) -> random.Random:
    """The stream that replaces what does not fit a household: its own, keyed by the record, so
    that the records which fitted anyway stay as they were."""
    return random.Random(f"{plan.profile.name}:{plan.seed}:fit:" + ":".join(map(str, key)))


def _note_for(rng: random.Random, method: str, on: date, h: HouseholdPlan | None = None) -> tuple[str, list[str], str]:
    if method == "電話":
        pool = N.PHONE_NOTES
    elif method == "来所":
        pool = N.VISIT_IN_NOTES
    elif method == "立ち寄り":
        pool = N.DROP_IN_NOTES
    else:
        pool = N.VISIT_NOTES + N.SEASON_NOTES.get(on.month, []) * 3
    if h is not None:  # a note about a child only where there is a child, …
        pool = [n for n in pool if fitting(n[1], h)] or pool
    text, concerns, urgency = rng.choice(pool)
    # Most contacts find nothing new: notes with a concern come up less often.
    while concerns and rng.random() < 0.55:
        text, concerns, urgency = rng.choice(pool)
    return text, list(concerns), urgency


def _household_contact(plan: Plan, rng: random.Random, hi: int, on: date, staff: str, *, failed: bool = False,
                       method: str | None = None) -> ContactPlan:
    h = plan.households[hi]
    if failed:
        method = "不在"
        return ContactPlan(on, _clock(rng), method, staff, hi, None, rng.choice(N.FAILED_NOTES))
    method = method or rng.choices([m for m, _ in _METHODS], weights=[w for _, w in _METHODS])[0]
    text, concerns, urgency = _note_for(rng, method, on)
    if urgency == "緊急" and rng.random() < 0.6:  # keep 緊急 rare
        text, concerns, urgency = _note_for(rng, method, on)
    if not fitting(concerns, h):  # a note about a child only where there is a child, …
        text, concerns, urgency = _note_for(_refit(plan, hi, on), method, on, h)
    companions = []
    if method == "同行":
        companions = ["民生委員"] if rng.random() < 0.75 else [rng.choice(["地域包括支援センター", "保健師", "ケアマネジャー"])]
    elif method == "訪問" and rng.random() < 0.12:
        companions = [rng.choice(["民生委員", "民生委員", "近所の方", "保健師"])]
    isolation = ""
    if rng.random() < 0.45:
        lonely = "身寄りなし" in h.flags or (len(h.members) == 1 and rng.random() < 0.2)
        isolation = "孤立している" if lonely else rng.choice(["頼れる人がいる", "頼れる人がいる", "わからない"])
    first, last = (9, 16) if method != "電話" else (9, 17)
    return ContactPlan(on, _clock(rng, first, last), method, staff, hi, None, text, companions, concerns, urgency,
                       isolation)


def plan_contacts(plan: Plan, rng: random.Random) -> None:
    """見守り households at about their interval (going back from a recent last contact),
    a few overdue; occasional contacts with others; community contacts at places."""
    today, start = plan.today, _start(plan)
    span = (today - start).days
    in_charge = _in_charge(plan)
    coordinators = _logins(plan, Role.COORDINATOR)
    target = plan.profile.contacts
    watch = [i for i, h in enumerate(plan.households) if h.watch_interval_days]
    failed_share = 0.10
    budget_watch = target * 0.85 * (1 - failed_share)
    # How long each household has been on its schedule: random lengths scaled to the budget.
    weights = [rng.expovariate(1.0) for _ in watch]
    rates = [1 / plan.households[i].watch_interval_days for i in watch]

    def expected(scale: float) -> float:
        return sum(r * min(span, scale * w) for r, w in zip(rates, weights))

    low, high = 1.0, span * 50.0
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if expected(mid) < budget_watch else (low, mid)
    scale = low
    overdue = set(rng.sample(watch, max(1, round(len(watch) * 0.03)))) if watch else set()

    contacts: list[ContactPlan] = []
    for i, w in zip(watch, weights):
        h = plan.households[i]
        interval = h.watch_interval_days
        staff = in_charge.get(h.district) or coordinators[0]
        since = today - timedelta(days=max(interval, round(min(span, scale * w))))
        if i in overdue:
            last = _workday(today - timedelta(days=interval + rng.randint(3, 25)), rng)
        else:  # recent enough that the next one is not yet due
            recent = [today - timedelta(days=k) for k in range(interval - 1)]
            last = rng.choice([d for d in recent if d.weekday() < 5] or recent)
        dates = [last]
        day = last
        while True:
            day = _workday(day - timedelta(days=max(3, round(interval * rng.uniform(0.75, 1.25)))), rng)
            if day < since:
                break
            dates.append(day)
        dates.reverse()
        for k, on in enumerate(dates):
            who = staff
            if h.staff_sub and rng.random() < 0.15:
                who = h.staff_sub
            if rng.random() < failed_share:  # tried first and found nobody in
                before = _workday(on - timedelta(days=rng.randint(1, 4)), rng)
                if before >= start:
                    contacts.append(_household_contact(plan, rng, i, before, who, failed=True))
            c = _household_contact(plan, rng, i, on, who)
            is_last = k == len(dates) - 1
            if rng.random() < 0.25 or (c.concerns and rng.random() < 0.6):
                c.next_action = rng.choice(N.NEXT_ACTIONS)
                gap = interval if is_last else (dates[k + 1] - on).days
                c.next_contact = on + timedelta(days=max(1, gap))
            contacts.append(c)

    # Occasional contacts with households not on the schedule (consultations, calls).
    others = [i for i, h in enumerate(plan.households) if not h.watch_interval_days]
    elderly = [i for i in others if plan.households[i].members[0].age >= 65 or plan.households[i].flags]
    for _ in range(round(target * 0.10)):
        i = rng.choice(elderly if elderly and rng.random() < 0.7 else others)
        on = _workday(start + timedelta(days=rng.randint(7, span)), rng)
        staff = in_charge.get(plan.households[i].district) or coordinators[0]
        if rng.random() < 0.3 and coordinators:
            staff = rng.choice(coordinators)
        failed = rng.random() < failed_share
        method = rng.choices(["来所", "電話", "訪問"], weights=[4, 4, 2])[0]
        contacts.append(_household_contact(plan, rng, i, on, staff, failed=failed, method=method))

    # Community contacts at shops, post offices, コンビニ, 公民館, 駐在所.
    for _ in range(round(target * 0.08) if plan.places else 0):
        p = rng.randrange(len(plan.places))
        place = plan.places[p]
        on = _workday(start + timedelta(days=rng.randint(7, span)), rng)
        staff = in_charge.get(place.district) or coordinators[0]
        method = "訪問" if place.kind == "公民館" else rng.choice(["立ち寄り", "立ち寄り", "訪問", "電話"])
        c = ContactPlan(on, _clock(rng), method, staff, None, p, rng.choice(N.PLACE_NOTES[place.kind]))
        if "気になる" in c.seen_heard or "来ない" in c.seen_heard or "たまっている" in c.seen_heard:
            c.concerns, c.urgency = ["孤立"], "見守り"
            c.next_action = "該当しそうな世帯を訪問して確かめる。"
        contacts.append(c)
    contacts.sort(key=lambda c: (c.on, c.time))
    plan.contacts = contacts


# ---- salons ------------------------------------------------------------------------

_WEEKDAYS = "月火水木金"


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _session_dates(start: date, today: date, weekday: int, weeks: list[int], winter_break: bool) -> list[date]:
    result = []
    year, month = start.year, start.month
    while (year, month) <= (today.year, today.month):
        if not (winter_break and month in (1, 2)):
            for nth in weeks:
                d = _nth_weekday(year, month, weekday, nth)
                if start <= d <= today:
                    result.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def plan_salons(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    today, start = plan.today, _start(plan)
    leaves = _leaves(plan)
    in_charge = _in_charge(plan)
    coordinators = _logins(plan, Role.COORDINATOR)
    elderly_by_district: dict[str, list[PersonRef]] = {}
    helpers_by_district: dict[str, list[str]] = {}
    for hi, h in enumerate(plan.households):
        for mi, p in enumerate(h.members):
            if p.age >= 63 and ("要介護" not in p.flags or rng.random() < 0.15):
                elderly_by_district.setdefault(h.district, []).append((hi, mi))
            if "サロン世話人" in p.roles:
                helpers_by_district.setdefault(h.district, []).append(p.name.split(" ")[0] + "さん")
    # One salon per settlement first, the rest where most older people live.
    order = sorted(leaves, key=lambda d: -len(elderly_by_district.get(d.key, [])))
    homes = [order[i % len(order)].key for i in range(profile.salons)] if order else []
    salons: list[SalonPlan] = []
    shapes = []
    for key in homes:
        dname = _district_name(plan, key)
        direct = rng.random() < 0.12
        twice = direct or rng.random() < profile.twice_monthly_share
        weekday = rng.randrange(5)
        weeks = rng.choice([[1, 3], [2, 4]]) if twice else [rng.randint(1, 4)]
        winter = not direct and rng.random() < 0.35
        name = ""
        for _ in range(10):
            name = rng.choice(N.SALON_NAMES).format(d=dname)
            if all(s.name != name for s in salons):
                break
        transport = "社協の車で送迎あり" if direct else ("乗り合わせ（世話人の車）" if rng.random() < 0.3 else "")
        staff = in_charge.get(key) or (coordinators[0] if coordinators else plan.staff[0].login)
        begun = start
        if rng.random() < 0.15:  # started during the period
            begun = start + timedelta(days=rng.randint(30, max(31, (today - start).days - 120)))
        salon = SalonPlan(name, key, rng.choice(N.SALON_VENUES).format(d=dname), "社協直営" if direct else "住民主体",
                          "", 100, transport, "昼食つきの回は別に300円" if rng.random() < 0.2 else "", staff)
        salons.append(salon)
        shapes.append({"weekday": weekday, "weeks": weeks, "winter": winter, "every": 1, "begun": begun,
                       "helpers": helpers_by_district.get(key, [])})

    def dates_of(shape) -> list[date]:
        dates = _session_dates(shape["begun"], today, shape["weekday"], shape["weeks"], shape["winter"])
        return [d for d in dates if d.month % shape["every"] == 0]

    # Salons meet less often where a hamlet has few people: when even 10 regulars a
    # salon would give more attendance than the profile's, some resident-run salons
    # drop to once a month, then to every other month.
    mean_p = 0.64  # habits average about 0.71; some regulars joined during the period
    needed = profile.attendances_per_year * profile.years / (10 * mean_p)
    order = [n for n in rng.sample(range(len(salons)), len(salons)) if salons[n].organiser == "住民主体"]
    for stage in (0, 1):
        for n in order:
            if sum(len(dates_of(x)) for x in shapes) <= needed:
                break
            shape = shapes[n]
            if stage == 0 and len(shape["weeks"]) == 2:
                shape["weeks"] = shape["weeks"][:1]
            elif stage == 1 and shape["every"] == 1:
                shape["every"] = 2
    for salon, shape in zip(salons, shapes):
        nth = "・".join(f"第{w}" for w in shape["weeks"])
        months = "偶数月の" if shape["every"] == 2 else "毎月"
        salon.schedule = (f"{months}{nth}{_WEEKDAYS[shape['weekday']]}曜 13:30〜15:30"
                          + ("（1・2月は休み）" if shape["winter"] else ""))
        shape["dates"] = [d for d in dates_of(shape) if rng.random() > 0.04]  # a few called off (snow, funerals)
    # Regulars: as many as it takes to reach the profile's attendance, 10–30 a salon.
    years = profile.years
    sessions_total = sum(len(s["dates"]) for s in shapes) or 1
    base = profile.attendances_per_year * years / (sessions_total * mean_p) if shapes else 10
    taken: set[PersonRef] = set()
    stopper_salons = set(rng.sample(range(len(salons)), max(1, len(salons) // 3))) if salons else set()
    for n, (salon, shape) in enumerate(zip(salons, shapes)):
        dates, helpers, begun = shape["dates"], shape["helpers"], shape["begun"]
        want = clamp(round(base * rng.uniform(0.8, 1.2)), 10, 30)
        pool = [r for r in elderly_by_district.get(salon.district, []) if r not in taken]
        if len(pool) < want:  # a small hamlet: neighbours from the same 地区 come too
            parent = next(d.parent for d in leaves if d.key == salon.district)
            pool += [r for d in leaves if d.parent == parent and d.key != salon.district
                     for r in elderly_by_district.get(d.key, []) if r not in taken]
        # participants first
        pool.sort(key=lambda r: (0 if "参加者" in plan.households[r[0]].members[r[1]].roles else 1, rng.random()))
        regulars = pool[:want]
        taken.update(regulars)
        salon.regulars = regulars
        habits = []
        for r in regulars:
            p = clamp(round(rng.betavariate(5, 2) * 100), 25, 98) / 100
            joined = begun
            if rng.random() < 0.2:  # joined later
                joined = begun + timedelta(days=rng.randint(0, max(0, (today - begun).days)))
            habits.append((r, p, joined, None))
        if n in stopper_salons and habits and len(dates) > 6:  # someone stopped coming in the last months
            k = rng.randrange(len(habits))
            r, p, joined, _ = habits[k]
            stop = today - timedelta(days=rng.randint(75, 180))
            habits[k] = (r, max(p, 0.8), min(joined, stop - timedelta(days=200)), stop)
        for d in dates:
            came = [r for r, p, joined, stop in habits
                    if joined <= d and (stop is None or d < stop) and rng.random() < p]
            session = SessionPlan(d, rng.choice(N.SALON_ACTIVITIES),
                                  "、".join(rng.sample(helpers, min(len(helpers), 2))) or "世話人2名",
                                  rng.choice([0, 0, 1, 1, 2, 3, 4, 5]), came)
            if came and rng.random() < 0.15:
                text, concerns = rng.choice(N.REMARKS)
                who = rng.choice(came) if rng.random() < 0.8 else None
                if who and not fitting(concerns, plan.households[who[0]]):
                    text, concerns = _refit(plan, salon.name, d, who).choice(
                        [r for r in N.REMARKS if fitting(r[1], plan.households[who[0]])])
                session.remarks.append(RemarkPlan(text, who, list(concerns)))
            salon.sessions.append(session)
    plan.salons = salons


# ---- concern sheets and referrals ---------------------------------------------------


def _history(plan: Plan, rng: random.Random, sheet: SheetPlan, handler: str) -> None:
    """A path through the workflow, cut at today: older sheets are closed, recent ones open."""
    today = plan.today
    quick = {"緊急": 0.3, "早め": 0.6, "見守り": 1.0}[sheet.urgency]
    agency = _agency(plan, sheet.concerns[0], rng)
    path: list[tuple[str, int]] = [("確認中", round(rng.randint(0, 8) * quick))]
    roll = rng.random()
    if roll < 0.35:
        path += [("つないだ", round(rng.randint(4, 30) * quick)), ("見守り", rng.randint(20, 90)),
                 ("終結", rng.randint(60, 300))]
    elif roll < 0.55:
        path += [("対応中", round(rng.randint(3, 25) * quick)), ("見守り", rng.randint(20, 120)),
                 ("終結", rng.randint(60, 300))]
    elif roll < 0.70:
        path += [("見守り", rng.randint(5, 30)), ("終結", rng.randint(90, 400))]
    elif roll < 0.80:
        path += [("対応中", round(rng.randint(3, 30) * quick)), ("つないだ", rng.randint(7, 60)),
                 ("終結", rng.randint(60, 240))]
    elif roll < 0.88:
        path += [("終結", rng.randint(2, 20))]  # already handled elsewhere
    elif roll < 0.94:  # closed, then reopened
        path += [("見守り", rng.randint(7, 45)), ("終結", rng.randint(60, 200)), ("確認中", rng.randint(60, 300)),
                 ("対応中", rng.randint(2, 20)), ("終結", rng.randint(30, 150))]
    else:  # a long one: still being supported, or watched for years
        path += [("対応中", round(rng.randint(3, 20) * quick)), ("見守り", rng.randint(60, 300))]
    sheet.history = [StatusPlan("受付", sheet.noticed_on, sheet.noticed_by)]
    day = sheet.noticed_on
    for status, gap in path:
        day = day + timedelta(days=max(gap, 0 if len(sheet.history) == 1 else 1))
        if day > today:
            break
        assert status in SHEET_TRANSITIONS[sheet.history[-1].status]
        sheet.history.append(StatusPlan(status, day, handler, agency if status == "つないだ" else None,
                                        rng.choice(N.STATUS_NOTES[status]) if rng.random() < 0.7 else ""))


def plan_sheets(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    today, start = plan.today, _start(plan)
    span = (today - start).days
    in_charge = _in_charge(plan)
    coordinators = _logins(plan, Role.COORDINATOR)
    staff_logins = _logins(plan, Role.STAFF)
    reporters = _logins(plan, Role.REPORTER)
    by_login = {s.login: s for s in plan.staff}
    total = round(profile.sheets_per_year * profile.years)
    sheets: list[SheetPlan] = []

    def household_pick() -> int:
        for _ in range(20):
            i = rng.randrange(len(plan.households))
            h = plan.households[i]
            if h.flags or h.watch_level != "なし" or rng.random() < 0.15:
                return i
        return i

    def person_of(h: HouseholdPlan) -> str:
        p = next((m for m in h.members if "ひきこもり" in m.flags), None) or h.members[0]
        return p.name

    # From remarks at salons: a share of the つぶやき became sheets.
    remarks = [(s, k, j) for s, salon in enumerate(plan.salons) for k, sess in enumerate(salon.sessions)
               for j, r in enumerate(sess.remarks)]
    for s, k, j in rng.sample(remarks, min(len(remarks), round(total * 0.12), len(remarks) // 3)):
        salon, session = plan.salons[s], plan.salons[s].sessions[k]
        remark = session.remarks[j]
        person = plan.households[remark.person[0]].members[remark.person[1]] if remark.person else None
        remark.sheet = len(sheets)
        sheets.append(SheetPlan(
            session.on, salon.staff, by_login[salon.staff].section, "サロン", f"サロン「{salon.name}」",
            remark.person[0] if remark.person else None, "" if remark.person else f"サロン「{salon.name}」の参加者",
            person.name if person else "", remark.concerns[:3], rng.choices(["早め", "見守り"], [3, 7])[0], [],
            rng.choice(["不明", "希望あり", "希望なし"]), remark.text, from_remark=(s, k, j)))
    # From contacts that noticed something.
    noticed = [n for n, c in enumerate(plan.contacts) if c.concerns and c.household is not None and c.urgency]
    for n in rng.sample(noticed, min(len(noticed), round(total * 0.25))):
        c = plan.contacts[n]
        h = plan.households[c.household]
        sheets.append(SheetPlan(
            c.on, c.staff, by_login[c.staff].section, "電話" if c.method == "電話" else "訪問", "見守り訪問の際に",
            c.household, "", person_of(h), c.concerns[:3], c.urgency, [], rng.choice(["不明", "希望あり", "希望なし"]),
            c.seen_heard, from_contact=n))
    # The rest: noticed by anyone, in every setting.
    while len(sheets) < total:
        kind = rng.choices(["reporter", "staff", "coordinator"], weights=[35, 45, 20])[0]
        pool = {"reporter": reporters, "staff": staff_logins, "coordinator": coordinators}[kind] or coordinators
        who = rng.choice(pool)
        section = by_login[who].section
        if kind == "reporter":
            setting = "介護現場" if section == "介護保険事業所" else "ボランティア活動"
        else:
            setting = rng.choice(["相談", "店", "民生委員", "近所", "電話", "訪問", "その他"])
        # somewhat more in recent years (the sheet caught on): a flat share plus a ramp
        back = rng.random() if rng.random() < 0.7 else 1 - math.sqrt(rng.random())
        on = today - timedelta(days=min(span, int(span * back)))
        hi = household_pick() if rng.random() < 0.85 else None
        concerns = [rng.choice(list(N.SHEET_SITUATIONS))]
        h = plan.households[hi] if hi is not None else None
        if h is not None:
            likely = (["8050", "ひきこもり"] if "8050" in h.flags else []) + (["孤立"] if "一人暮らし高齢者" in h.flags else []) \
                + (["子育て"] if "ひとり親" in h.flags else []) + (["介護"] if h.watch_level in ("中", "高") else [])
            likely = [c for c in likely if concern_fits(c, h)]
            if likely and rng.random() < 0.6:
                concerns = [rng.choice(likely)]
        while len(concerns) < 3 and rng.random() < 0.4:
            extra = rng.choice(list(N.SHEET_SITUATIONS))
            if extra not in concerns:
                concerns.append(extra)
        if not fitting(concerns, h):  # 子育て only where there is a child, …
            refit = _refit(plan, "sheet", len(sheets))
            for k, concern in enumerate(concerns):
                if not concern_fits(concern, h):
                    concerns[k] = refit.choice([c for c in N.SHEET_SITUATIONS if concern_fits(c, h) and c not in concerns])
        district = h.district if h else rng.choice(_leaves(plan)).key
        hint = "" if h else rng.choice(N.SHEET_HINTS).format(d=_district_name(plan, district))
        urgency = rng.choices(["緊急", "早め", "見守り"], weights=[6, 34, 60])[0]
        if "虐待の疑い" in concerns:
            urgency = "緊急"
        situation = "".join(rng.choice(N.SHEET_SITUATIONS[c]) for c in concerns[:2])
        connected = [_agency(plan, concerns[0], rng)] if rng.random() < 0.2 else []
        sheets.append(SheetPlan(
            on, who, section, setting, N.SHEET_SOURCES[setting], hi, hint, person_of(h) if h else "", concerns, urgency,
            connected, rng.choices(["希望あり", "希望なし", "不明"], [4, 2, 4])[0], situation,
            rng.choice(N.SHEET_STRENGTHS) if rng.random() < 0.4 else "",
            rng.choice(N.SHEET_SUPPORTERS) if rng.random() < 0.12 else "",
            plan.agencies[_agency(plan, concerns[0], rng)].name if rng.random() < 0.3 else ""))
    for sheet in sheets:
        if sheet.household is not None and rng.random() < 0.5:
            handler = in_charge.get(plan.households[sheet.household].district) or rng.choice(coordinators)
        else:
            handler = rng.choice(coordinators)
        _history(plan, rng, sheet, handler)
    _a_handful_open(sheets, today, cap=max(15, len(plan.households) // 45))
    plan.sheets = sheets

    # Referrals: every つないだ, plus some straight from households on the schedule.
    referrals: list[ReferralPlan] = []
    for n, sheet in enumerate(sheets):
        for change in sheet.history:
            if change.status == "つないだ":
                referrals.append(ReferralPlan(change.agency, change.on, change.by,
                                              f"把握シート（{'・'.join(sheet.concerns)}）から：{sheet.situation[:60]}",
                                              sheet.household, n))
    watched = [i for i, h in enumerate(plan.households) if h.watch_level in ("中", "高")]
    for _ in range(round(profile.years * max(2, len(plan.households) // 60)) if watched else 0):
        i = rng.choice(watched)
        h = plan.households[i]
        concern = rng.choice(["介護", "病気・健康", "認知症", "生活費・借金", "金銭管理"])
        on = today - timedelta(days=rng.randint(0, span))
        referrals.append(ReferralPlan(_agency(plan, concern, rng), on, in_charge.get(h.district) or coordinators[0],
                                      f"見守り訪問で{concern}の心配が見えたため相談につないだ。", i, None))
    for r in referrals:
        age = (today - r.on).days
        r.follow_up = r.on + timedelta(days=rng.choice([14, 14, 30, 30, 45]))
        if age > 50 and rng.random() > 0.04:
            r.outcome = rng.choices(["つながった", "つながらなかった", "本人が辞退", "その他"], [78, 9, 9, 4])[0]
            r.outcome_note = rng.choice(N.REFERRAL_OUTCOME_NOTES[r.outcome])
        elif age > 20 and rng.random() < 0.5:
            r.outcome = "つながった"
            r.outcome_note = rng.choice(N.REFERRAL_OUTCOME_NOTES[r.outcome])
    _a_handful_overdue(referrals, today, cap=max(10, len(plan.households) // 70))
    referrals.sort(key=lambda r: r.on)
    plan.referrals = referrals


def _a_handful_open(sheets: list[SheetPlan], today: date, cap: int) -> None:
    """Whatever the day, the coordinators' 受付箱 holds a few sheets and not a backlog: the
    oldest open ones beyond ``cap`` were taken on (対応中) today; with fewer than three, the
    latest sheets are still waiting (their later steps had not happened yet)."""
    waiting = sorted((s for s in sheets if s.status in ("受付", "確認中")), key=lambda s: s.noticed_on)
    for sheet in waiting[:max(0, len(waiting) - cap)]:
        if sheet.history[-1].on < today:
            sheet.history.append(StatusPlan("対応中", today, sheet.history[-1].by))
    latest = sorted((s for s in sheets if s.status not in ("受付", "確認中")), key=lambda s: s.noticed_on)
    for sheet in latest[len(latest) - max(0, 3 - len(waiting)):]:
        sheet.history = sheet.history[:1]


def _a_handful_overdue(referrals: list[ReferralPlan], today: date, cap: int) -> None:
    """Whatever the day, the つなぎ page shows some follow-ups due, and not a backlog: the
    oldest beyond ``cap`` were followed up (つながった); with none due, the latest older than
    two weeks still waits for its answer."""
    overdue = sorted((r for r in referrals if r.outcome == "確認中" and r.follow_up and r.follow_up <= today),
                     key=lambda r: r.follow_up)
    for r in overdue[:max(0, len(overdue) - cap)]:
        r.outcome, r.outcome_note = "つながった", N.REFERRAL_OUTCOME_NOTES["つながった"][0]
    if not overdue:
        waiting = [r for r in referrals if r.on <= today - timedelta(days=14)]
        if waiting:
            latest = max(waiting, key=lambda r: r.on)
            latest.outcome, latest.outcome_note = "確認中", ""
            latest.follow_up = today - timedelta(days=1)


PLAN_STEPS = [
    PlanStep("places", plan_places),
    PlanStep("contacts", plan_contacts),
    PlanStep("salons", plan_salons),
    PlanStep("sheets", plan_sheets),
]

# ---- write steps -------------------------------------------------------------------

CHUNK = 2_000  # rows per transaction for the big tables


def _store_for(ctx: WriteContext, login: str):
    return _actor_for(ctx, login)


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def write_places(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Place

    coordinator = next((s.login for s in ctx.plan.staff if s.role == Role.COORDINATOR.value), None)
    with _store_for(ctx, coordinator).write() as w, w.bulk():
        for p in ctx.plan.places:
            ctx.place_ids.append(w.insert(Place, {"name": p.name, "kind": p.kind, "address": p.address,
                                                  "district_id": ctx.district_ids[p.district], "notes": p.notes}))
    tick(1)


def _by_login(items, key) -> dict[str, list]:
    groups: dict[str, list] = {}
    for n, item in enumerate(items):
        groups.setdefault(key(item), []).append((n, item))
    return groups


def write_contacts(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.domain.ids import new_id
    from shakyo_desk.store.models import Contact

    ctx.contact_ids = [new_id() for _ in ctx.plan.contacts]
    for login, items in _by_login(ctx.plan.contacts, lambda c: c.staff).items():
        store = _store_for(ctx, login)
        for chunk in _chunks(items):
            with store.write() as w, w.bulk():
                for n, c in chunk:
                    w.insert(Contact, {
                        "contact_date": c.on, "contact_time": c.time, "method": c.method,
                        "staff_id": ctx.staff_ids[c.staff], "companions": list(c.companions),
                        "household_id": ctx.household_by_index[c.household] if c.household is not None else None,
                        "place_id": ctx.place_ids[c.place] if c.place is not None else None,
                        "seen_heard": c.seen_heard, "concerns": list(c.concerns), "urgency": c.urgency,
                        "isolation": c.isolation, "next_action": c.next_action, "next_contact_date": c.next_contact,
                    }, entity_id=ctx.contact_ids[n])
            tick(len(chunk))


def write_sheets(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.domain.ids import new_id
    from shakyo_desk.store.models import ConcernSheet, Referral, SheetStatusChange

    plan = ctx.plan
    ctx.sheet_ids = [new_id() for _ in plan.sheets]
    for s, salon in enumerate(plan.salons):
        for k, session in enumerate(salon.sessions):
            for j, _ in enumerate(session.remarks):
                ctx.remark_ids[(s, k, j)] = new_id()
    household = lambda i: ctx.household_by_index[i] if i is not None else None  # noqa: E731
    # Filed by whoever noticed (受付), then moved along by whoever follows it up.
    for login, items in _by_login(plan.sheets, lambda x: x.noticed_by).items():
        with _store_for(ctx, login).write() as w, w.bulk():
            for n, sh in items:
                w.insert(ConcernSheet, {
                    "noticed_on": sh.noticed_on, "noticed_by": ctx.staff_ids[sh.noticed_by], "section": sh.section,
                    "setting": sh.setting, "source": sh.source, "household_id": household(sh.household),
                    "household_hint": sh.hint, "person_of_concern": sh.person_of_concern, "concerns": list(sh.concerns),
                    "urgency": sh.urgency, "connected_agencies": [ctx.agency_ids[a] for a in sh.connected],
                    "wish_for_help": sh.wish, "situation": sh.situation, "strengths": sh.strengths,
                    "possible_supporter": sh.supporter, "suggested_handoff": sh.handoff, "status": sh.status,
                    "from_contact_id": ctx.contact_ids[sh.from_contact] if sh.from_contact is not None else None,
                    "from_remark_id": ctx.remark_ids[sh.from_remark] if sh.from_remark else None,
                }, entity_id=ctx.sheet_ids[n])
                first = sh.history[0]
                w.insert(SheetStatusChange, {"sheet_id": ctx.sheet_ids[n], "status": first.status,
                                             "changed_on": first.on, "agency_id": None, "note": ""})
        tick(1)
    changes = [(n, c) for n, sh in enumerate(plan.sheets) for c in sh.history[1:]]
    for login, items in _by_login(changes, lambda x: x[1].by).items():
        with _store_for(ctx, login).write() as w, w.bulk():
            for _, (n, c) in items:
                w.insert(SheetStatusChange, {
                    "sheet_id": ctx.sheet_ids[n], "status": c.status, "changed_on": c.on,
                    "agency_id": ctx.agency_ids[c.agency] if c.agency is not None else None, "note": c.note})
        tick(1)
    for login, items in _by_login(plan.referrals, lambda r: r.by).items():
        with _store_for(ctx, login).write() as w, w.bulk():
            for _, r in items:
                w.insert(Referral, {
                    "household_id": household(r.household),
                    "sheet_id": ctx.sheet_ids[r.sheet] if r.sheet is not None else None,
                    "agency_id": ctx.agency_ids[r.agency], "referred_on": r.on, "reason": r.reason,
                    "outcome": r.outcome, "outcome_note": r.outcome_note, "follow_up_on": r.follow_up})
        tick(1)


def write_salons(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Attendance, Remark, Salon, SalonRegular, SalonSession

    plan = ctx.plan
    coordinator = next((s.login for s in plan.staff if s.role == Role.COORDINATOR.value), None)
    salon_ids = []
    with _store_for(ctx, coordinator).write() as w, w.bulk():  # the register is kept by the coordinators
        for salon in plan.salons:
            salon_id = w.insert(Salon, {
                "name": salon.name, "district_id": ctx.district_ids[salon.district], "venue": salon.venue,
                "organiser": salon.organiser, "schedule": salon.schedule, "fee_yen": salon.fee_yen,
                "transport": salon.transport, "notes": salon.notes, "active": True})
            salon_ids.append(salon_id)
            for ref in salon.regulars:
                w.insert(SalonRegular, {"salon_id": salon_id, "person_id": ctx.person_ids[ref]})
    tick(1)
    for s, salon in enumerate(plan.salons):
        store = _store_for(ctx, salon.staff)
        for part in _chunks(list(enumerate(salon.sessions)), 60):
            with store.write() as w, w.bulk():
                for k, session in part:
                    session_id = w.insert(SalonSession, {
                        "salon_id": salon_ids[s], "session_date": session.on, "activities": session.activities,
                        "helpers": session.helpers, "unnamed_count": session.unnamed, "notes": ""})
                    for ref in session.attendees:
                        w.insert(Attendance, {"session_id": session_id, "person_id": ctx.person_ids[ref]})
                    for j, remark in enumerate(session.remarks):
                        w.insert(Remark, {
                            "session_id": session_id,
                            "person_id": ctx.person_ids[remark.person] if remark.person else None,
                            "text": remark.text,
                            "sheet_id": ctx.sheet_ids[remark.sheet] if remark.sheet is not None else None,
                        }, entity_id=ctx.remark_ids[(s, k, j)])
        tick(1)


def _sheet_units(plan: Plan) -> int:  # one per transaction of write_sheets
    followers = {c.by for s in plan.sheets for c in s.history[1:]}
    return len({s.noticed_by for s in plan.sheets}) + len(followers) + len({r.by for r in plan.referrals})


WRITE_STEPS = [
    WriteStep("places", "地域の拠点を登録しています", lambda plan: 1, write_places),
    WriteStep("contacts", "訪問・連絡の記録を書いています", lambda plan: len(plan.contacts), write_contacts),
    WriteStep("sheets", "把握シートとつなぎを書いています", _sheet_units, write_sheets),
    WriteStep("salons", "サロンの開催と参加を書いています", lambda plan: 1 + len(plan.salons), write_salons),
]
