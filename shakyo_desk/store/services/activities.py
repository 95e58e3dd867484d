"""地域活動 (issue 19): 地域懇談会, 学習会, 協議体 … recorded by staff of the district
(coordinators and admins anywhere; an activity with no district is council-wide and theirs),
with the 地域課題 it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, sees_all_households
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


def add_activity(store: Store, activity_type: str, held_on: date | str, title: str, *,
                 district_id: str | None = None, participants: int | None = None, organisations=(),
                 raised: str = "", followed: str = "", note: str = "", issue_ids=(),
                 today: date | None = None) -> str:
    today = today or clock.today()
    day = parse_date(held_on, "開催日")
    if day is None:
        raise InvalidInput("開催日を入力してください。")
    if day > today:
        raise InvalidInput("開催日が未来の日付になっています。開いた活動を、今日までの日付で記録してください。")
    if participants is not None and (not isinstance(participants, int) or participants < 0):
        raise InvalidInput("参加者数は0以上の整数で入力してください。")
    values = {"activity_type": choice(activity_type, ACTIVITY_TYPES, "活動の種類"), "held_on": day,
              "district_id": district_id or None, "title": required_text(title, "活動の名前", 200),
              "participants": participants,
              "organisations": [o for o in dict.fromkeys(clean(x) for x in organisations or ()) if o],
              "raised": optional_text(raised, "出された意見・課題", 8000),
              "followed": optional_text(followed, "その後の動き", 8000), "note": optional_text(note, "メモ", 4000)}
    _may_record(store, values["district_id"])
    issue_ids = list(dict.fromkeys(i for i in issue_ids or () if i))
    with store.write() as w:
        if values["district_id"]:
            w.require_alive(District, values["district_id"], "選んだ地区が見つかりません。")
        for issue_id in issue_ids:
            w.require_alive(CommunityIssue, issue_id, "選んだ地域課題が見つかりません。一覧から選び直してください。")
        activity_id = w.insert(CommunityActivity, values)
        for issue_id in issue_ids:
            w.insert(CommunityIssueActivity, {"issue_id": issue_id, "activity_id": activity_id})
        return activity_id


def list_activities(store: Store, district_id: str | None = None) -> list[ActivityInfo]:
    from shakyo_desk.store.services.ties import require_district

    require_district(store, district_id)
    actor = store.actor
    a = CommunityActivity
    query = (sa.select(a, District.name).outerjoin(District, District.id == a.district_id)
             .where(a.deleted_at.is_(None)))
    if district_id:
        query = query.where(a.district_id == district_id)
    with store.read() as s:
        rows = s.execute(query.order_by(a.held_on.desc(), a.title)).all()
        links: dict[str, list[str]] = {}
        for issue_id, activity_id in s.execute(sa.select(CommunityIssueActivity.issue_id, CommunityIssueActivity.activity_id)
                                               .where(CommunityIssueActivity.deleted_at.is_(None))):
            links.setdefault(activity_id, []).append(issue_id)
    return [ActivityInfo(r.id, r.activity_type, r.held_on, r.district_id, name or "", r.title, r.participants,
                         tuple(r.organisations or ()), r.raised, r.followed, r.note, tuple(links.get(r.id, ())))
            for r, name in rows
            if sees_all_households(actor.role) or r.district_id is None or r.district_id in actor.district_ids]
