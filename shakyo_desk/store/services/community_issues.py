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
from shakyo_desk.store.models import CommunityIssue, CommunityIssueCase, District, Household
from shakyo_desk.store.services._common import optional_text, require, required_text
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


def add_issue(store: Store, title: str, *, district_id: str | None = None, note: str = "",
              today: date | None = None) -> str:
    require(manages_registers(store.actor.role), "地域課題の登録は、コーディネーターか管理者が行います。")
    values = {"title": required_text(title, "地域課題の題名", 200), "district_id": district_id or None,
              "raised_on": today or clock.today(), "note": optional_text(note, "メモ", 4000)}
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
    actor = store.actor
    shown: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for issue_id, case_id, district_id in links:
        counts[issue_id] = counts.get(issue_id, 0) + 1
        if sees_all_households(actor.role) or district_id in actor.district_ids:
            shown.setdefault(issue_id, []).append(case_id)
    return [IssueInfo(i.id, i.title, i.district_id, districts.get(i.district_id, ""), i.raised_on, i.note,
                      tuple(shown.get(i.id, ())), counts.get(i.id, 0)) for i in issues]
