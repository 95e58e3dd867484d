"""受付表 (検討依頼, issue 18): a support case put forward for a type of meeting with a question.

The staff member in charge of a case (or a coordinator) fills in what 鳥羽市's 受付表 asks:
the question for the meeting (検討したいこと), the agencies already involved (関係機関) and those
that should become involved (今後関わりが必要となる機関), and optionally the 本人 whose consent
counts. A monthly meeting takes the requests that came in before its date
(``pending_requests(store, meeting_type, until=held_on)``); a coordinator adds one to a recorded
meeting with ``conferences.add_case(request_id=…)``, which marks it taken (``conference_id``).
Removing the case from the meeting puts the request back in the list. A request can be
withdrawn (``withdraw_request``) until it is taken.

Who: staff of the household's districts, coordinators and admins make and withdraw requests;
taking one into a meeting is a coordinator's (conferences). Bad input — a closed case, a type
not in the vocabulary, a request for a meeting that already took place, a second open request
for the same case and type — is refused with a Japanese sentence and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import (
    Conference, District, Household, HouseholdSearch, MeetingRequest, Person, SupportCase,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT, household_record, optional_text, parse_date, require, required_text,
)
from shakyo_desk.store.services.cases import CASE_GONE, require_case_worker
from shakyo_desk.store.store import Store

REQUEST_GONE = "指定された検討依頼（受付表）が見つかりません。一覧を更新してください。"
PERSON_NOT_IN_HOUSEHOLD = "本人として選んだ方が、このケースの世帯の世帯員ではありません。世帯員から選び直してください。"
MAX_AGENCIES = 30


@dataclass(frozen=True)
class RequestInfo:
    """One 受付表 entry as lists and editors show it."""

    id: str
    case_id: str
    household_id: str
    household_code: str
    head_name: str
    district: str
    meeting_type: str
    type_label: str
    question: str
    requested_on: date
    agencies_involved: tuple[str, ...]
    agencies_needed: tuple[str, ...]
    person_id: str | None
    conference_id: str | None  # the meeting that took it, if any
    conference_held_on: date | None
    withdrawn_on: date | None
    requested_by: str | None

    @property
    def pending(self) -> bool:
        return self.conference_id is None and self.withdrawn_on is None

    @property
    def state_label(self) -> str:
        if self.withdrawn_on is not None:
            return "取り下げ"
        if self.conference_id is not None:
            return "会議で検討" + (f"（{format_wareki(self.conference_held_on)}）" if self.conference_held_on else "")
        return "受付中"


def meeting_type_code(value: str | None) -> str:
    """A meeting type from its code or Japanese name (the vocabulary's), else a sentence."""
    from shakyo_desk.store.services.conferences import type_code

    return type_code(value)


def _agencies(values: Iterable[str] | str | None, label: str) -> list[str]:
    if isinstance(values, str):
        values = values.replace("、", ",").replace("，", ",").split(",")
    names: list[str] = []
    for value in values or []:
        name = optional_text(value, label, 200)
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_AGENCIES:
        raise InvalidInput(f"{label}は{MAX_AGENCIES}件までにしてください。")
    return names


def request_meeting(store: Store, case_id: str, meeting_type: str, question: str, *,
                    requested_on: date | str | None = None, agencies_involved: Iterable[str] | str = (),
                    agencies_needed: Iterable[str] | str = (), person_id: str | None = None,
                    conference_id: str | None = None, today: date | None = None) -> str:
    """Put a case forward for a type of meeting (受付表); returns the request id.

    ``conference_id``: the request names one meeting. It must be of the same type and not have
    taken place before the request (a request for a meeting that already took place is
    refused); a coordinator's request is then taken into that meeting at once, in the same
    transaction (``conferences.add_case``); anyone else's waits for a coordinator."""
    today = today or clock.today()
    case = require_case_worker(store, case_id)
    if case["status"] == "終結":
        raise InvalidInput("このケースは終結しているため、会議に検討を依頼できません。"
                           "もう一度検討する必要があれば、先にケースを再開してください（case reopen）。")
    code = meeting_type_code(meeting_type)
    values = {
        "case_id": case_id, "household_id": case["household_id"], "meeting_type": code,
        "question": required_text(question, "会議で検討したいこと", 4000),
        "requested_on": parse_date(requested_on, "依頼の日") or today,
        "agencies_involved": _agencies(agencies_involved, "関わっている関係機関"),
        "agencies_needed": _agencies(agencies_needed, "今後関わりが必要な機関"),
        "person_id": person_id or None,
    }
    if values["requested_on"] > today:
        raise InvalidInput("依頼の日が未来の日付になっています。今日までの日付を入力してください。")
    with store.read() as s:
        if person_id:
            person = s.get(Person, person_id)
            if person is None or person.deleted_at is not None or person.household_id != case["household_id"]:
                raise InvalidInput(PERSON_NOT_IN_HOUSEHOLD)
        open_one = s.execute(sa.select(MeetingRequest.id).where(
            MeetingRequest.case_id == case_id, MeetingRequest.meeting_type == code,
            MeetingRequest.conference_id.is_(None), MeetingRequest.withdrawn_on.is_(None),
            MeetingRequest.deleted_at.is_(None)).limit(1)).scalar()
        if open_one is not None:
            raise InvalidInput(f"このケースは{CONFERENCE_TYPES[code]}への検討依頼がすでに受付中です。"
                               "内容を変えるときは、受付中の依頼を取り下げてから出し直してください。")
        meeting = None
        if conference_id:
            meeting = s.get(Conference, conference_id)
            if meeting is None or meeting.deleted_at is not None:
                raise NotFound("依頼先の会議が見つかりません。会議の一覧から選び直してください。")
            if meeting.meeting_type != code:
                raise InvalidInput(f"依頼先の会議は{CONFERENCE_TYPES.get(meeting.meeting_type, meeting.meeting_type)}です。"
                                   f"{CONFERENCE_TYPES[code]}への依頼は、{CONFERENCE_TYPES[code]}の会議に出してください。")
            if meeting.held_on < values["requested_on"]:
                raise InvalidInput(f"依頼先の会議（{format_wareki(meeting.held_on)}）は、依頼の日"
                                   f"（{format_wareki(values['requested_on'])}）より前にすでに開かれています。"
                                   "次に開かれる会議を選ぶか、会議を選ばずに依頼してください。")
    takes = meeting is not None and store.actor.role in (Role.ADMIN, Role.COORDINATOR)
    with store.write() as w:
        current = w.require_alive(SupportCase, case_id, CASE_GONE)
        if current["status"] == "終結":
            raise InvalidInput("このケースは終結しているため、会議に検討を依頼できません。")
        request_id = w.insert(MeetingRequest, values)
        if takes:
            from shakyo_desk.store.services import conferences

            conferences.add_case_in(w, conference_id, case_id=case_id, request_id=request_id, today=today)
        return request_id


def _request_row(store: Store, request_id: str) -> dict:
    return household_record(store, MeetingRequest, request_id, REQUEST_GONE)


def withdraw_request(store: Store, request_id: str, withdrawn_on: date | str | None = None, *,
                     today: date | None = None) -> None:
    """Withdraw a request not yet taken into a meeting (it stays in the case's history)."""
    today = today or clock.today()
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    row = _request_row(store, request_id)
    on = parse_date(withdrawn_on, "取り下げの日") or today
    if row["withdrawn_on"] is not None:
        raise InvalidInput("この検討依頼はすでに取り下げられています。")
    if row["conference_id"] is not None:
        raise InvalidInput("この検討依頼はすでに会議に入っています。取り下げるには、先に会議からケースを外してください"
                           "（meeting remove-case）。")
    if on < row["requested_on"] or on > today:
        raise InvalidInput("取り下げの日は、依頼の日から今日までの日付にしてください。")
    with store.write() as w:
        w.require_alive(MeetingRequest, request_id, REQUEST_GONE)
        w.update(MeetingRequest, request_id, {"withdrawn_on": on})


# ---- reading ------------------------------------------------------------------------------

def _query():
    return (sa.select(MeetingRequest, Household.code, HouseholdSearch.head_name, District.name, Conference.held_on)
            .join(Household, Household.id == MeetingRequest.household_id)
            .outerjoin(HouseholdSearch, HouseholdSearch.household_id == Household.id)
            .outerjoin(District, District.id == Household.district_id)
            .outerjoin(Conference, Conference.id == MeetingRequest.conference_id)
            .where(MeetingRequest.deleted_at.is_(None), Household.deleted_at.is_(None)))


def _info(row) -> RequestInfo:
    r, code, head, district, held_on = row
    return RequestInfo(r.id, r.case_id, r.household_id, code or "", head or "", district or "", r.meeting_type,
                       CONFERENCE_TYPES.get(r.meeting_type, r.meeting_type), r.question, r.requested_on,
                       tuple(r.agencies_involved or ()), tuple(r.agencies_needed or ()), r.person_id,
                       r.conference_id, held_on, r.withdrawn_on, r.created_by)


def _visible(store: Store, q):
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    if store.actor.role == Role.STAFF:
        q = q.where(Household.district_id.in_(sorted(store.actor.district_ids)))
    return q


def pending_requests(store: Store, meeting_type: str | None = None, until: date | str | None = None) -> list[RequestInfo]:
    """Requests not yet taken into a meeting nor withdrawn, oldest first; with ``until`` (a
    meeting's date) only those requested on or before it — what a meeting collects."""
    q = _visible(store, _query().where(MeetingRequest.conference_id.is_(None), MeetingRequest.withdrawn_on.is_(None)))
    if meeting_type:
        q = q.where(MeetingRequest.meeting_type == meeting_type_code(meeting_type))
    day = parse_date(until, "会議の日")
    if day is not None:
        q = q.where(MeetingRequest.requested_on <= day)
    with store.read() as s:
        return [_info(r) for r in s.execute(q.order_by(MeetingRequest.requested_on, MeetingRequest.created_at))]


def requests_of_case(store: Store, case_id: str) -> list[RequestInfo]:
    """Every request of a case (taken, withdrawn and pending), newest first."""
    require_case_worker(store, case_id)
    with store.read() as s:
        return [_info(r) for r in s.execute(_query().where(MeetingRequest.case_id == case_id)
                                            .order_by(MeetingRequest.requested_on.desc(),
                                                      MeetingRequest.created_at.desc()))]


def get_request(store: Store, request_id: str) -> RequestInfo:
    _request_row(store, request_id)
    with store.read() as s:
        return _info(s.execute(_query().where(MeetingRequest.id == request_id)).one())
