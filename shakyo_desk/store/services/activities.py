"""地域活動 (issue 19): 地域懇談会, 学習会, 協議体 … recorded by staff of the district
(coordinators and admins anywhere; an activity with no district is council-wide and theirs),
with the 地域課題 it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, manages_registers, sees_all_households
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import ACTIVITY_TYPES
from shakyo_desk.store.models import (
    CommunityActivity,
    CommunityIssue,
    CommunityIssueActivity,
    District,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT,
    choice,
    optional_text,
    parse_date,
    require,
    required_text,
)
from shakyo_desk.store.services.households import OUT_OF_DISTRICT
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class ActivityInfo:
    id: str
    activity_type: str
    held_on: date
    district_id: str | None
    district: str
    title: str
    participants: int | None
    organisations: tuple[str, ...]
    raised: str
    followed: str
    note: str
    issue_ids: tuple[str, ...]


def _may_record(store: Store, district_id: str | None) -> None:
    actor = store.actor
    require(actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    if not sees_all_households(actor.role):
        require(district_id is not None and district_id in actor.district_ids, OUT_OF_DISTRICT)


def _values(activity_type: str, held_on, title: str, district_id, participants, organisations, raised: str,
            followed: str, note: str, today: date) -> dict:
    day = parse_date(held_on, "開催日")
    if day is None:
        raise InvalidInput("開催日を入力してください。")
    if day > today:
        raise InvalidInput("開催日が未来の日付になっています。開いた活動を、今日までの日付で記録してください。")
    if participants is not None and (not isinstance(participants, int) or participants < 0):
        raise InvalidInput("参加者数は0以上の整数で入力してください。")
    return {"activity_type": choice(activity_type, ACTIVITY_TYPES, "活動の種類"), "held_on": day,
            "district_id": district_id or None, "title": required_text(title, "活動の名前", 200),
            "participants": participants,
            "organisations": [o for o in dict.fromkeys(clean(x) for x in organisations or ()) if o],
            "raised": optional_text(raised, "出された意見・課題", 8000),
            "followed": optional_text(followed, "その後の動き", 8000), "note": optional_text(note, "メモ", 4000)}


def _new_titles(new_issues) -> list[str]:
    titles = [t for t in dict.fromkeys(clean(x) for x in new_issues or ()) if t]
    for title in titles:
        required_text(title, "地域課題の題名", 200)
    return titles


def _issues_to_link(store: Store, w, issue_ids, titles: list[str], district_id: str | None, on: date) -> list[str]:
    """The ids of the chosen issues, then of the typed titles: one already in the register is
    reused; a new one is added (a coordinator's or an admin's, as every register entry)."""
    from shakyo_desk.store.services.community_issues import by_title

    wanted = list(dict.fromkeys(i for i in issue_ids or () if i))
    for issue_id in wanted:
        w.require_alive(CommunityIssue, issue_id, "選んだ地域課題が見つかりません。一覧から選び直してください。")
    for title in titles:
        found = by_title(w.conn, title)
        if found is None:
            if not manages_registers(store.actor.role):
                raise InvalidInput(f"地域課題「{title}」はまだ台帳にありません。新しい地域課題を台帳に加えるのは"
                                   "コーディネーターか管理者です。一覧にある地域課題から選んでください。")
            found = w.insert(CommunityIssue, {"title": title, "district_id": district_id, "raised_on": on,
                                              "note": "", "status": "把握", "response": ""})
        wanted.append(found)
    return list(dict.fromkeys(wanted))


def add_activity(store: Store, activity_type: str, held_on: date | str, title: str, *,
                 district_id: str | None = None, participants: int | None = None, organisations=(),
                 raised: str = "", followed: str = "", note: str = "", issue_ids=(), new_issues=(),
                 today: date | None = None) -> str:
    """``issue_ids``: 地域課題 of the register this activity shows; ``new_issues``: titles to raise
    (reused when the register has one of that title)."""
    values = _values(activity_type, held_on, title, district_id, participants, organisations, raised, followed,
                     note, today or clock.today())
    _may_record(store, values["district_id"])
    titles = _new_titles(new_issues)
    with store.write() as w:
        if values["district_id"]:
            w.require_alive(District, values["district_id"], "選んだ地区が見つかりません。")
        linked = _issues_to_link(store, w, issue_ids, titles, values["district_id"], values["held_on"])
        activity_id = w.insert(CommunityActivity, values)
        for issue_id in linked:
            w.insert(CommunityIssueActivity, {"issue_id": issue_id, "activity_id": activity_id})
        return activity_id


def update_activity(store: Store, activity_id: str, activity_type: str, held_on: date | str, title: str, *,
                    district_id: str | None = None, participants: int | None = None, organisations=(),
                    raised: str = "", followed: str = "", note: str = "", issue_ids=(), new_issues=(),
                    today: date | None = None) -> None:
    """Every field as given; the 地域課題 it shows become ``issue_ids`` plus ``new_issues`` (a link
    left out is deleted, one kept is left alone)."""
    values = _values(activity_type, held_on, title, district_id, participants, organisations, raised, followed,
                     note, today or clock.today())
    _may_record(store, values["district_id"])
    titles = _new_titles(new_issues)
    with store.write() as w:
        current = w.require_alive(CommunityActivity, activity_id,
                                  "選んだ地域活動が見つかりません。一覧を読み込み直してください。")
        _may_record(store, current["district_id"])
        if values["district_id"]:
            w.require_alive(District, values["district_id"], "選んだ地区が見つかりません。")
        linked = _issues_to_link(store, w, issue_ids, titles, values["district_id"], values["held_on"])
        w.update(CommunityActivity, activity_id, values)
        existing = dict(w.conn.execute(sa.select(CommunityIssueActivity.issue_id, CommunityIssueActivity.id).where(
            CommunityIssueActivity.activity_id == activity_id, CommunityIssueActivity.deleted_at.is_(None))).all())
        for issue_id, link_id in existing.items():
            if issue_id not in linked:
                w.delete(CommunityIssueActivity, link_id)
        for issue_id in linked:
            if issue_id not in existing:
                w.insert(CommunityIssueActivity, {"issue_id": issue_id, "activity_id": activity_id})


def list_activities(store: Store, district_id: str | None = None, *, fiscal_year: int | None = None,
                    start_month: int = 4) -> list[ActivityInfo]:
    """Newest first; a district takes in its 行政区/集落; ``fiscal_year`` keeps one 年度."""
    from shakyo_desk.domain.wareki import fiscal_year_bounds
    from shakyo_desk.store.services.ties import require_district
    from shakyo_desk.store.store import with_subdistricts

    require_district(store, district_id)
    actor = store.actor
    a = CommunityActivity
    query = (sa.select(a, District.name).outerjoin(District, District.id == a.district_id)
             .where(a.deleted_at.is_(None)))
    if fiscal_year is not None:
        first, last = fiscal_year_bounds(fiscal_year, start_month)
        query = query.where(a.held_on >= first, a.held_on < last)
    with store.read() as s:
        if district_id:
            query = query.where(a.district_id.in_(with_subdistricts(s, [district_id])))
        rows = s.execute(query.order_by(a.held_on.desc(), a.title)).all()
        links: dict[str, list[str]] = {}
        for issue_id, activity_id in s.execute(sa.select(CommunityIssueActivity.issue_id, CommunityIssueActivity.activity_id)
                                               .where(CommunityIssueActivity.deleted_at.is_(None))):
            links.setdefault(activity_id, []).append(issue_id)
        mine = with_subdistricts(s, list(actor.district_ids)) if not sees_all_households(actor.role) else frozenset()
    return [ActivityInfo(r.id, r.activity_type, r.held_on, r.district_id, name or "", r.title, r.participants,
                         tuple(r.organisations or ()), r.raised, r.followed, r.note, tuple(links.get(r.id, ())))
            for r, name in rows
            if sees_all_households(actor.role) or r.district_id is None or r.district_id in mine]
