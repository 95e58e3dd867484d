"""支援ケース (issue 18): opened per household from 把握シート or directly, assigned, closed with
an evaluation, reopened. Plans, assessment and monitoring are in case_plans.py; reading a
whole case (show, lists, reviews due) in case_views.py.

Who may do what: coordinators and admins open, assign, close and reopen; staff of the
household's districts (and coordinators, admins) add assessment views, plans and monitoring.
The status moves by itself: 受付 → アセスメント at the first assessment view, → 支援中 at the
first goal, → モニタリング at the first monitoring record, → 終結 at closure; a reopened case
goes back to アセスメント. Every move is kept in case_status_change."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import CASE_CLOSED, CASE_REOPENED, CASE_STATUSES
from shakyo_desk.store.models import (
    Agency, CaseEvaluation, CaseSheet, CaseStatusChange, ConcernSheet, Household, SheetStatusChange, Staff, SupportCase,
)
from shakyo_desk.store.services._common import NO_RIGHT, household_record, optional_text, parse_date, require, required_text
from shakyo_desk.store.services.households import OUT_OF_DISTRICT, require_household
from shakyo_desk.store.store import Store

CASE_GONE = "指定された支援ケースが見つかりません。ケースの一覧から選び直してください。"
CLOSED_CASE = "このケースは終結しています。記録を加えるには、先にケースを再開してください（case reopen）。"
# Sheets still waiting are taken up when a case is opened from them.
SHEET_TAKEN_UP = ("受付", "確認中")


def require_coordinator(store: Store) -> None:
    require(sees_all_households(store.actor.role), "支援ケースの開始・担当の変更・終結・再開は、コーディネーターか管理者が行います。")


def case_row(store: Store, case_id: str) -> dict:
    """The case (as a dict) if it exists and this account may see its household, else NotFound/PermissionDenied."""
    return household_record(store, SupportCase, case_id, CASE_GONE, OUT_OF_DISTRICT)


def require_case_worker(store: Store, case_id: str) -> dict:
    """Assessment, plans, monitoring: coordinators, admins, staff who see the household."""
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    return case_row(store, case_id)


def require_open(case: dict) -> None:
    if case["status"] == CASE_CLOSED:
        raise InvalidInput(CLOSED_CASE)


def live_case(w, case_id: str) -> dict:
    """Inside the transaction: the case still exists and is not closed (another window or a bundle)."""
    current = w.require_alive(SupportCase, case_id, CASE_GONE)
    require_open(current)
    return current


def move_status(w, case: dict, status: str, on: date, note: str = "") -> None:
    w.update(SupportCase, case["id"], {"status": status})
    w.insert(CaseStatusChange, {"case_id": case["id"], "household_id": case["household_id"], "status": status,
                                "changed_on": on, "note": note})


def advance(w, case: dict, status: str, on: date) -> None:
    """Move forward to ``status`` if the case has not reached it yet (never backwards)."""
    if CASE_STATUSES.index(case["status"]) < CASE_STATUSES.index(status):
        move_status(w, case, status, on)


def staff_by_login(store: Store, login: str, label: str = "担当") -> str:
    with store.read() as s:
        row = s.execute(sa.select(Staff.id, Staff.role, Staff.disabled_at)
                        .where(Staff.login == (login or "").strip(), Staff.deleted_at.is_(None))).first()
    if row is None or row.disabled_at is not None or row.role == Role.REPORTER.value:
        raise InvalidInput(f"{label}にするアカウント「{login}」が見つからないか、使えません。"
                           "職員のログイン名を確かめてください（account list）。")
    return row.id


def agency_by_name(store: Store, name: str) -> str:
    with store.read() as s:
        found = s.execute(sa.select(Agency.id).where(sa.or_(Agency.name == (name or "").strip(), Agency.id == name),
                                                     Agency.deleted_at.is_(None))).scalar()
    if found is None:
        raise InvalidInput(f"関係機関「{name}」は関係機関の一覧にありません。先に関係機関を登録するか、"
                           "一覧にある名前で指定してください。")
    return found


def open_case(store: Store, household_id: str, *, sheet_ids: list[str] = (), assignee_id: str | None = None,
              lead_agency_id: str | None = None, from_contact_id: str | None = None,
              opened_on: date | str | None = None, today: date | None = None) -> str:
    require_coordinator(store)
    today = today or clock.today()
    opened_on = parse_date(opened_on, "受付日") or today
    if opened_on > today:
        raise InvalidInput("受付日が未来の日付になっています。今日までの日付を入力してください。")
    require_household(store, household_id)
    sheet_ids = list(dict.fromkeys(s for s in sheet_ids if s))
    with store.write() as w:
        household = w.require_alive(Household, household_id, "選んだ世帯が見つかりません。世帯を選び直してください。")
        if assignee_id:
            w.require_alive(Staff, assignee_id, "担当にするアカウントが見つかりません。")
        if lead_agency_id:
            w.require_alive(Agency, lead_agency_id, "主担当機関が関係機関の一覧にありません。先に登録してください。")
        sheets = []
        for sheet_id in sheet_ids:
            sheet = w.require_alive(ConcernSheet, sheet_id, f"把握シート「{sheet_id}」が見つかりません。シートのIDを確かめてください。")
            if sheet["household_id"] != household["id"]:
                raise InvalidInput("この把握シートは別の世帯のもの（またはまだ世帯と結び付いていないもの）です。"
                                   "シートを世帯と結び付けてから、その世帯のケースとして開いてください。")
            existing = w.conn.execute(sa.select(CaseSheet.case_id).where(
                CaseSheet.sheet_id == sheet_id, CaseSheet.deleted_at.is_(None))).scalar()
            if existing:
                raise InvalidInput(f"この把握シートからは、すでに支援ケース（ID {existing}）が開かれています。"
                                   "そのケースを開いてください（終結していれば case reopen で再開できます）。")
            sheets.append(sheet)
        case_id = w.insert(SupportCase, {"household_id": household_id, "status": CASE_STATUSES[0], "opened_on": opened_on,
                                         "assignee_id": assignee_id, "lead_agency_id": lead_agency_id,
                                         "from_contact_id": from_contact_id})
        w.insert(CaseStatusChange, {"case_id": case_id, "household_id": household_id, "status": CASE_STATUSES[0],
                                    "changed_on": opened_on, "note": ""})
        for sheet in sheets:
            w.insert(CaseSheet, {"case_id": case_id, "sheet_id": sheet["id"], "household_id": household_id})
            if sheet["status"] in SHEET_TAKEN_UP:
                w.update(ConcernSheet, sheet["id"], {"status": "対応中"})
                w.insert(SheetStatusChange, {"sheet_id": sheet["id"], "status": "対応中", "changed_on": opened_on,
                                             "note": "支援ケースを開始"})
    return case_id


def assign_case(store: Store, case_id: str, *, assignee_id: str | None = None,
                lead_agency_id: str | None = None) -> None:
    """Change the 担当 and/or the 主担当機関 (None leaves it as it is)."""
    require_coordinator(store)
    case_row(store, case_id)
    changes = {k: v for k, v in (("assignee_id", assignee_id), ("lead_agency_id", lead_agency_id)) if v}
    with store.write() as w:
        w.require_alive(SupportCase, case_id, CASE_GONE)
        if assignee_id:
            w.require_alive(Staff, assignee_id, "担当にするアカウントが見つかりません。")
        if lead_agency_id:
            w.require_alive(Agency, lead_agency_id, "主担当機関が関係機関の一覧にありません。先に登録してください。")
        w.update(SupportCase, case_id, changes)


def close_case(store: Store, case_id: str, reason: str, evaluation: str, *, worked: str = "",
               community_issue: str = "", closed_on: date | str | None = None, today: date | None = None) -> str:
    """終結 with the evaluation; a 地域課題 named here is linked (an issue of the same title is
    reused, otherwise added to the register). Returns the evaluation's id."""
    from shakyo_desk.store.services.community_issues import link_issue

    require_coordinator(store)
    case = case_row(store, case_id)
    require_open_to_close(case)
    today = today or clock.today()
    closed_on = parse_date(closed_on, "終結日") or today
    if closed_on > today or closed_on < case["opened_on"]:
        raise InvalidInput("終結日は、ケースの受付日から今日までの日付にしてください。")
    values = {"case_id": case_id, "household_id": case["household_id"], "closed_on": closed_on,
              "reason": required_text(reason, "終結の理由", 2000),
              "changes": required_text(evaluation, "評価（世帯に何が変わったか）", 8000),
              "worked": optional_text(worked, "うまくいったこと", 8000)}
    issue_title = optional_text(community_issue, "地域課題", 200)
    with store.write() as w:
        current = w.require_alive(SupportCase, case_id, CASE_GONE)
        require_open_to_close(current)
        evaluation_id = w.insert(CaseEvaluation, values)
        move_status(w, current, CASE_CLOSED, closed_on)
        w.update(SupportCase, case_id, {"closed_on": closed_on})
        if issue_title:
            link_issue(w, issue_title, current, case["district_id"], closed_on)
    return evaluation_id


def require_open_to_close(case: dict) -> None:
    if case["status"] == CASE_CLOSED:
        raise InvalidInput("このケースはすでに終結しています。再び支援するときは case reopen で再開してください。")


def reopen_case(store: Store, case_id: str, note: str = "", *, today: date | None = None) -> None:
    """Back to アセスメント; the earlier plans, monitoring and evaluations stay."""
    require_coordinator(store)
    case = case_row(store, case_id)
    if case["status"] != CASE_CLOSED:
        raise InvalidInput("このケースは終結していないので、再開する必要はありません。")
    today = today or clock.today()
    note = optional_text(note, "再開の理由", 2000)
    with store.write() as w:
        current = w.require_alive(SupportCase, case_id, CASE_GONE)
        if current["status"] != CASE_CLOSED:
            raise InvalidInput("このケースは、開いている間に別の画面で再開されました。開き直してください。")
        move_status(w, current, CASE_REOPENED, today, note or "再開")
        w.update(SupportCase, case_id, {"closed_on": None})
