"""地域課題 register (issue 18): problems seen across households, kept after the cases that
show them are closed or purged (the issue names no household; its links to cases go with
their households)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_registers, sees_all_households
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import COMMUNITY_ISSUE_STATUSES
from shakyo_desk.store.models import (
    CommunityIssue,
    CommunityIssueActivity,
    CommunityIssueCase,
    CommunityActivity,
    CommunityIssueResource,
    District,
    Household,
    MissingResource,
    SupportCase,
    SupportPlan,
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
        if by_title(w.conn, values["title"]):
            raise InvalidInput(f"地域課題「{values['title']}」はすでに登録されています。一覧（community-issue list）を確かめてください。")
        return w.insert(CommunityIssue, values)


def by_title(conn, title: str) -> str | None:
    return conn.execute(sa.select(CommunityIssue.id).where(
        CommunityIssue.title == title, CommunityIssue.deleted_at.is_(None))).scalar()


def link_issue(w, title: str, case: dict, district_id: str | None, on: date) -> str:
    """Inside a case's closing transaction: the issue of this title (added if new) and its link to the case."""
    title = clean(title)
    issue_id = by_title(w.conn, title) or w.insert(CommunityIssue, {"title": title, "district_id": district_id,
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


MAY_NOT_LINK = "地域課題への結び付けは、コーディネーターか管理者が行います。"


def _link_resource(w, issue_id: str, resource: dict) -> str:
    already = w.conn.execute(sa.select(CommunityIssueResource.id).where(
        CommunityIssueResource.issue_id == issue_id, CommunityIssueResource.resource_id == resource["id"],
        CommunityIssueResource.deleted_at.is_(None))).first()
    if already:
        title = w.conn.execute(sa.select(CommunityIssue.title).where(CommunityIssue.id == issue_id)).scalar()
        raise InvalidInput(f"この不足している社会資源は、すでに地域課題「{title}」につないであります。")
    return w.insert(CommunityIssueResource, {"issue_id": issue_id, "resource_id": resource["id"],
                                             "household_id": resource["household_id"]})


def link_resource(store: Store, issue_id: str, resource_id: str) -> str:
    """A plan's 不足している社会資源 that shows this issue."""
    require(manages_registers(store.actor.role), MAY_NOT_LINK)
    with store.write() as w:
        w.require_alive(CommunityIssue, issue_id, "選んだ地域課題が見つかりません。一覧から選び直してください。")
        resource = w.require_alive(MissingResource, resource_id, "選んだ不足している社会資源が見つかりません。")
        return _link_resource(w, issue_id, resource)


def raise_from_resource(store: Store, resource_id: str, title: str, *, district_id: str | None = None,
                        today: date | None = None) -> str:
    """A missing resource raised as a 地域課題 of this title (the register's, if it has one; a new
    one otherwise, in the household's district unless another is given), linked in one
    transaction. Returns the issue's id."""
    require(manages_registers(store.actor.role), MAY_NOT_LINK)
    title = required_text(title, "地域課題の題名", 200)
    with store.write() as w:
        resource = w.require_alive(MissingResource, resource_id, "選んだ不足している社会資源が見つかりません。")
        issue_id = by_title(w.conn, title)
        if issue_id is None:
            if district_id:
                w.require_alive(District, district_id, "選んだ地区が見つかりません。")
            else:
                district_id = w.conn.execute(sa.select(Household.district_id).where(
                    Household.id == resource["household_id"])).scalar()
            issue_id = w.insert(CommunityIssue, {"title": title, "district_id": district_id,
                                                 "raised_on": today or clock.today(), "note": "", "status": "把握",
                                                 "response": ""})
        _link_resource(w, issue_id, resource)
        return issue_id


@dataclass(frozen=True)
class ResourceLinks:
    """One of a case's 不足している社会資源 and the 地域課題 it was raised as."""

    id: str
    plan_id: str
    text: str
    issues: tuple[str, ...]  # titles


def case_resources(store: Store, case_id: str) -> list[ResourceLinks]:
    """The missing resources of a case (every plan version), oldest first, with their 地域課題."""
    with store.read() as s:
        rows = s.execute(sa.select(MissingResource.id, MissingResource.plan_id, MissingResource.text).where(
            MissingResource.case_id == case_id, MissingResource.deleted_at.is_(None))
            .order_by(MissingResource.created_at)).all()
        titles: dict[str, list[str]] = {}
        for resource_id, title in s.execute(
                sa.select(CommunityIssueResource.resource_id, CommunityIssue.title)
                .join(CommunityIssue, CommunityIssue.id == CommunityIssueResource.issue_id)
                .join(MissingResource, MissingResource.id == CommunityIssueResource.resource_id)
                .where(MissingResource.case_id == case_id, CommunityIssueResource.deleted_at.is_(None),
                       CommunityIssue.deleted_at.is_(None)).order_by(CommunityIssue.title)):
            titles.setdefault(resource_id, []).append(title)
    return [ResourceLinks(r.id, r.plan_id, r.text, tuple(titles.get(r.id, ()))) for r in rows]


@dataclass(frozen=True)
class CaseEvidence:
    """A case that shows an issue, named without its household: district, opened, status."""

    id: str
    district: str
    opened_on: date
    status: str


@dataclass(frozen=True)
class ActivityEvidence:
    id: str
    held_on: date
    activity_type: str
    title: str
    district: str


@dataclass(frozen=True)
class ResourceEvidence:
    id: str
    text: str
    district: str
    made_on: date  # the plan version's date


@dataclass(frozen=True)
class IssueEvidence:
    """What shows an issue, as this account may see it; ``hidden_*``: those of other districts."""

    cases: tuple[CaseEvidence, ...]
    activities: tuple[ActivityEvidence, ...]
    resources: tuple[ResourceEvidence, ...]
    hidden_cases: int = 0
    hidden_resources: int = 0


def issue_evidence(store: Store, issue_id: str) -> IssueEvidence:
    from shakyo_desk.store.store import with_subdistricts

    actor = store.actor
    with store.read() as s:
        if s.execute(sa.select(CommunityIssue.id).where(CommunityIssue.id == issue_id,
                                                        CommunityIssue.deleted_at.is_(None))).first() is None:
            from shakyo_desk.domain.errors import NotFound

            raise NotFound("選んだ地域課題が見つかりません。一覧から選び直してください。")
        districts = dict(s.execute(sa.select(District.id, District.name)).all())
        mine = None if sees_all_households(actor.role) else with_subdistricts(s, list(actor.district_ids))
        link = CommunityIssueCase
        cases = s.execute(sa.select(SupportCase.id, Household.district_id, SupportCase.opened_on, SupportCase.status)
                          .join(link, link.case_id == SupportCase.id).join(Household, Household.id == link.household_id)
                          .where(link.issue_id == issue_id, link.deleted_at.is_(None))
                          .order_by(SupportCase.opened_on)).all()
        a = CommunityActivity
        activities = s.execute(sa.select(a.id, a.held_on, a.activity_type, a.title, a.district_id)
                               .join(CommunityIssueActivity, CommunityIssueActivity.activity_id == a.id)
                               .where(CommunityIssueActivity.issue_id == issue_id,
                                      CommunityIssueActivity.deleted_at.is_(None), a.deleted_at.is_(None))
                               .order_by(a.held_on)).all()
        r = CommunityIssueResource
        resources = s.execute(sa.select(MissingResource.id, MissingResource.text, Household.district_id,
                                        SupportPlan.made_on)
                              .join(r, r.resource_id == MissingResource.id)
                              .join(Household, Household.id == r.household_id)
                              .join(SupportPlan, SupportPlan.id == MissingResource.plan_id)
                              .where(r.issue_id == issue_id, r.deleted_at.is_(None))
                              .order_by(SupportPlan.made_on)).all()

    def seen(district_id) -> bool:
        return mine is None or district_id in mine

    shown_cases = [CaseEvidence(c.id, districts.get(c.district_id, ""), c.opened_on, c.status)
                   for c in cases if seen(c.district_id)]
    shown_resources = [ResourceEvidence(x.id, x.text, districts.get(x.district_id, ""), x.made_on)
                       for x in resources if seen(x.district_id)]
    return IssueEvidence(tuple(shown_cases),
                         tuple(ActivityEvidence(x.id, x.held_on, x.activity_type, x.title, districts.get(x.district_id, ""))
                               for x in activities if x.district_id is None or seen(x.district_id)),
                         tuple(shown_resources), len(cases) - len(shown_cases), len(resources) - len(shown_resources))
