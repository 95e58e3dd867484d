"""地域課題 register (issue 18): problems seen across households, kept after the cases that
show them are closed or purged (the issue names no household; its links to cases go with
their households)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import manages_registers, sees_all_households
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import COMMUNITY_ISSUE_STATUSES
from shakyo_desk.store.models import (
    CommunityIssue,
    CommunityIssueActivity,
    CommunityIssueCase,
    CommunityIssueResource,
    District,
    Household,
    MissingResource,
)
from shakyo_desk.store.services._common import (
    choice,
    optional_text,
    require,
    required_text,
)
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class IssueInfo:
    id: str
    title: str
    district_id: str | None
    district: str
    raised_on: date
    note: str
    case_ids: tuple[str, ...]  # the cases this account may see
    case_count: int  # every case that shows it
    status: str = "把握"  # vocab.COMMUNITY_ISSUE_STATUSES (0018)
    response: str = ""  # what the council and the town do
    activity_count: int = 0  # 地域活動 that show it
    resource_count: int = 0  # plans' 不足している社会資源 that show it


def add_issue(store: Store, title: str, *, district_id: str | None = None, note: str = "",
              status: str = "把握", response: str = "", today: date | None = None) -> str:
    require(manages_registers(store.actor.role), "地域課題の登録は、コーディネーターか管理者が行います。")
    values = {"title": required_text(title, "地域課題の題名", 200), "district_id": district_id or None,
              "raised_on": today or clock.today(), "note": optional_text(note, "メモ", 4000),
              "status": choice(status, COMMUNITY_ISSUE_STATUSES, "地域課題の状況"),
              "response": optional_text(response, "社協と町の取り組み", 8000)}
    with store.write() as w:
        if district_id:
            w.require_alive(District, district_id, "選んだ地区が見つかりません。")
        if _by_title(w.conn, values["title"]):
            from shakyo_desk.domain.errors import InvalidInput

            raise InvalidInput(f"地域課題「{values['title']}」はすでに登録されています。一覧（community-issue list）を確かめてください。")
        return w.insert(CommunityIssue, values)


def _by_title(conn, title: str) -> str | None:
    return conn.execute(sa.select(CommunityIssue.id).where(
        CommunityIssue.title == title, CommunityIssue.deleted_at.is_(None))).scalar()


def link_issue(w, title: str, case: dict, district_id: str | None, on: date) -> str:
    """Inside a case's closing transaction: the issue of this title (added if new) and its link to the case."""
    title = clean(title)
    issue_id = _by_title(w.conn, title) or w.insert(CommunityIssue, {"title": title, "district_id": district_id,
                                                                     "raised_on": on, "note": ""})
    w.insert(CommunityIssueCase, {"issue_id": issue_id, "case_id": case["id"], "household_id": case["household_id"]})
    return issue_id


def list_issues(store: Store) -> list[IssueInfo]:
    """Every issue (the register names no household); the cases listed are the ones this account may see."""
    with store.read() as s:
        districts = dict(s.execute(sa.select(District.id, District.name)).all())
        issues = s.execute(sa.select(CommunityIssue).where(CommunityIssue.deleted_at.is_(None))
                           .order_by(CommunityIssue.raised_on.desc(), CommunityIssue.title)).scalars().all()
        links = s.execute(sa.select(CommunityIssueCase.issue_id, CommunityIssueCase.case_id, Household.district_id)
                          .join(Household, Household.id == CommunityIssueCase.household_id)
                          .where(CommunityIssueCase.deleted_at.is_(None))).all()
        evidence = _evidence(s)
    actor = store.actor
    shown: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for issue_id, case_id, district_id in links:
        counts[issue_id] = counts.get(issue_id, 0) + 1
        if sees_all_households(actor.role) or district_id in actor.district_ids:
            shown.setdefault(issue_id, []).append(case_id)
    return [IssueInfo(i.id, i.title, i.district_id, districts.get(i.district_id, ""), i.raised_on, i.note,
                      tuple(shown.get(i.id, ())), counts.get(i.id, 0), i.status, i.response,
                      evidence["activity"].get(i.id, 0), evidence["resource"].get(i.id, 0)) for i in issues]


def _evidence(s) -> dict[str, dict[str, int]]:
    found = {}
    for key, model in (("activity", CommunityIssueActivity), ("resource", CommunityIssueResource)):
        found[key] = dict(s.execute(sa.select(model.issue_id, sa.func.count()).where(model.deleted_at.is_(None))
                                    .group_by(model.issue_id)).all())
    return found


def set_status(store: Store, issue_id: str, status: str, response: str | None = None) -> None:
    """Where the register stands on an issue, and what the council and the town do about it."""
    require(manages_registers(store.actor.role), "地域課題の状況の変更は、コーディネーターか管理者が行います。")
    changes = {"status": choice(status, COMMUNITY_ISSUE_STATUSES, "地域課題の状況")}
    if response is not None:
        changes["response"] = optional_text(response, "社協と町の取り組み", 8000)
    with store.write() as w:
        w.require_alive(CommunityIssue, issue_id, "選んだ地域課題が見つかりません。一覧から選び直してください。")
        w.update(CommunityIssue, issue_id, changes)


def link_resource(store: Store, issue_id: str, resource_id: str) -> str:
    """A plan's 不足している社会資源 that shows this issue."""
    require(manages_registers(store.actor.role), "地域課題への結び付けは、コーディネーターか管理者が行います。")
    with store.write() as w:
        w.require_alive(CommunityIssue, issue_id, "選んだ地域課題が見つかりません。一覧から選び直してください。")
        resource = w.require_alive(MissingResource, resource_id, "選んだ不足している社会資源が見つかりません。")
        return w.insert(CommunityIssueResource, {"issue_id": issue_id, "resource_id": resource_id,
                                                 "household_id": resource["household_id"]})
