"""Closed cases from years ago (issue 6): a few households whose only records are a concern
sheet closed long before the demo's other records began, with the visits made at the time,
so the 保存期間を過ぎた記録 page has something to show in the demo.

Each is a household no other step touched (no contacts, sheets, referrals, salon or
conference records), its 見守り level なし, and its case was noticed 6½–8½ years before the
demo's day and closed within a year: past the default retention of 5 years however the
day falls."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shakyo_desk.demo.village import Plan, PlanStep, WriteContext, WriteStep, _actor_for
from shakyo_desk.domain.roles import Role

COUNT = {"village": 5, "large-town": 8}

# (concern, situation when noticed, note of the first visit, note when it was closed)
_CASES = [
    ("介護", "母親の物忘れが増え、一人で通院できなくなっていると家族から相談があった。",
     "本人と長男に会う。介護保険の申請を勧め、地域包括支援センターと一緒に手続きを進めることにした。",
     "要介護認定が出てデイサービスに通い始めた。家族の負担も軽くなり、終結とする。"),
    ("生活費・借金", "失業して家賃が払えなくなりそうだと本人から電話があった。",
     "家計の状況を聞き取り、自立相談支援機関の相談日を予約した。",
     "再就職が決まり、滞納分の返済計画も立った。終結とする。"),
    ("孤立", "近所の人から、夫を亡くしてから家にこもりがちだと聞いた。",
     "訪問すると話し相手を求めていた。近くのサロンの日程を伝えた。",
     "娘の住む町へ転居することになった。転居先の社協に様子を伝えて終結とする。"),
    ("住まい", "雨漏りがひどく、冬を越せるか心配だと民生委員から連絡があった。",
     "屋根の状態を確認し、住宅改修の補助制度を案内した。",
     "改修が終わり、暮らしに支障はなくなった。終結とする。"),
    ("病気・健康", "退院後の生活に不安があると病院の相談員から連絡があった。",
     "退院の翌週に訪問。食事と服薬の様子を確認し、配食サービスを紹介した。",
     "体調が安定し、家族の見守りで暮らせている。終結とする。"),
    ("子育て", "保育園の送り迎えが難しくなったと、ひとりで子育て中の母親から相談があった。",
     "ファミリー・サポートの利用を一緒に申し込んだ。",
     "子どもが小学校に上がり、放課後の預け先も決まった。終結とする。"),
]


@dataclass
class ClosedCasePlan:
    household: int  # index in plan.households
    person: str  # the member of concern
    staff: str  # login of the staff member in charge, who noticed and followed it
    section: str
    concern: str
    situation: str
    visit_note: str
    closing_note: str
    noticed_on: date
    history: list[tuple[str, date]] = field(default_factory=list)
    visits: list[tuple[date, str, str]] = field(default_factory=list)  # (date, method, note)


def _weekday(d: date) -> date:
    return d - timedelta(days=max(0, d.weekday() - 4))


def _untouched(plan: Plan) -> list[int]:
    """Households no other step gave a record to."""
    used = {c.household for c in plan.contacts} | {s.household for s in plan.sheets}
    used |= {r.household for r in plan.referrals}
    used |= {k.household for c in plan.conferences for k in c.cases}
    used |= {c.person[0] for c in plan.consents}
    for salon in plan.salons:
        used |= {h for h, _ in salon.regulars}
        for session in salon.sessions:
            used |= {h for h, _ in session.attendees}
            used |= {r.person[0] for r in session.remarks if r.person}
    return [i for i, h in enumerate(plan.households)
            if i not in used and h.watch_level == "なし" and not h.watch_interval_days]


def plan_closed_cases(plan: Plan, rng: random.Random) -> None:
    in_charge = {k: s.login for s in plan.staff for k in s.districts}
    coordinators = [s.login for s in plan.staff if s.role == Role.COORDINATOR.value]
    sections = {s.login: s.section for s in plan.staff}
    candidates = _untouched(plan)
    cases = []
    for n, i in enumerate(sorted(rng.sample(candidates, min(COUNT.get(plan.profile.name, 3), len(candidates))))):
        h = plan.households[i]
        concern, situation, visit_note, closing_note = _CASES[n % len(_CASES)]
        staff = in_charge.get(h.district) or coordinators[0]
        noticed = _weekday(plan.today - timedelta(days=rng.randint(2375, 3100)))
        case = ClosedCasePlan(i, h.members[0].name, staff, sections[staff], concern, situation, visit_note,
                              closing_note, noticed)
        checking = noticed + timedelta(days=rng.randint(1, 5))
        working = checking + timedelta(days=rng.randint(3, 20))
        closed = _weekday(working + timedelta(days=rng.randint(60, 240)))
        case.history = [("受付", noticed), ("確認中", checking), ("対応中", working), ("終結", closed)]
        case.visits = [(_weekday(checking + timedelta(days=1)), "訪問", visit_note), (closed, "電話", closing_note)]
        cases.append(case)
    plan.closed_cases = cases


PLAN_STEPS = [PlanStep("closed_cases", plan_closed_cases)]


def write_closed_cases(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import ConcernSheet, Contact, SheetStatusChange

    for case in ctx.plan.closed_cases:
        household_id = ctx.household_by_index[case.household]
        with _actor_for(ctx, case.staff).write() as w, w.bulk():
            for on, method, note in case.visits:
                w.insert(Contact, {
                    "contact_date": on, "contact_time": "10:00", "method": method,
                    "staff_id": ctx.staff_ids[case.staff], "household_id": household_id,
                    "seen_heard": note, "concerns": [case.concern]})
            sheet_id = w.insert(ConcernSheet, {
                "noticed_on": case.noticed_on, "noticed_by": ctx.staff_ids[case.staff], "section": case.section,
                "setting": "相談", "source": "本人・家族からの相談", "household_id": household_id, "person_of_concern": case.person,
                "concerns": [case.concern], "urgency": "早め", "wish_for_help": "希望あり",
                "situation": case.situation, "status": case.history[-1][0]})
            for status, on in case.history:
                w.insert(SheetStatusChange, {"sheet_id": sheet_id, "status": status, "changed_on": on,
                                             "agency_id": None, "note": ""})
    tick(1)


WRITE_STEPS = [WriteStep("closed_cases", "以前に終結した相談を書いています", lambda plan: 1, write_closed_cases)]
