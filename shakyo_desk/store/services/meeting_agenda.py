"""The conference editor's save with what its draft cannot carry (issue 18): cases taken from the
受付表 and who sits for each case, written in the same transaction as the conference itself.

``conferences.save_conference`` writes a ``ConferenceDraft`` (fields, members, cases with their
decisions). The editor also lets the coordinator take waiting requests into the meeting and
name the members who sit for one case; ``save_agenda`` does all of it at once, so that a
refusal anywhere (a request withdrawn meanwhile, a member gone) writes nothing at all.

``requests``: household id → 受付表 request id, for cases of the draft that came from a request
(the request is marked taken and the case gets its 支援ケース and 本人). ``seats``: household id →
the members who sit for that case as (name, organisation) pairs, matched to the conference's
members after they are saved (an empty list: every member sits again). Households not listed
keep their seats as stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import Conference, ConferenceCase, MeetingRequest
from shakyo_desk.store.services import conferences as c
from shakyo_desk.store.services.meeting_requests import REQUEST_GONE
from shakyo_desk.store.store import Store


def _take_request(w, conference_id: str, meeting: dict, case_row: dict, request_id: str) -> None:
    """Within a write: the case ``case_row`` came from the request; mark it taken."""
    request = w.conn.execute(sa.select(MeetingRequest.__table__).where(MeetingRequest.id == request_id)
                             ).mappings().first()
    if request is None or request["deleted_at"] is not None:
        raise NotFound(REQUEST_GONE)
    if request["withdrawn_on"] is not None:
        raise InvalidInput("取り込もうとした検討依頼は、取り下げられました。その世帯を会議から外して保存してください。")
    if request["conference_id"] not in (None, conference_id):
        raise InvalidInput("取り込もうとした検討依頼は、すでに別の会議に入りました。その世帯を会議から外して保存してください。")
    if request["household_id"] != case_row["household_id"]:
        raise InvalidInput("検討依頼の世帯と、会議で取り上げる世帯が違います。会議の画面を開き直してください。")
    if request["meeting_type"] != meeting["meeting_type"]:
        raise InvalidInput(f"この検討依頼は{CONFERENCE_TYPES.get(request['meeting_type'], '')}への依頼です。"
                           f"{CONFERENCE_TYPES.get(meeting['meeting_type'], '')}には入れられません。"
                           "会議の種類を確かめるか、その世帯を会議から外してください。")
    if meeting["held_on"] < request["requested_on"]:
        raise InvalidInput(f"この会議（{format_wareki(meeting['held_on'])}）は、依頼の日"
                           f"（{format_wareki(request['requested_on'])}）より前です。会議の日を確かめてください。")
    values = {"request_id": request_id, "case_id": case_row["case_id"] or request["case_id"]}
    if not case_row["person_id"] and request["person_id"]:
        values["person_id"] = request["person_id"]
    w.update(ConferenceCase, case_row["id"], values)
    if request["conference_id"] is None:
        w.update(MeetingRequest, request_id, {"conference_id": conference_id})


def save_agenda(store: Store, draft: c.ConferenceDraft, conference_id: str | None = None, *,
                expected_version: str | None = None, requests: Mapping[str, str] | None = None,
                seats: Mapping[str, Iterable[tuple[str, str]]] | None = None, today: date | None = None) -> str:
    """``conferences.save_conference`` with the requests taken and the per-case seats (see the
    module's text), in one transaction. Returns the conference id."""
    today = today or clock.today()

    def agenda(w, conference_id: str) -> None:
        meeting = w.require_alive(Conference, conference_id, c.GONE)
        cases = {row["household_id"]: dict(row) for row in w.conn.execute(
            sa.select(ConferenceCase.__table__).where(ConferenceCase.conference_id == conference_id,
                                                      ConferenceCase.deleted_at.is_(None))).mappings()}
        for household_id, request_id in (requests or {}).items():
            if household_id not in cases:
                raise InvalidInput(c.NOT_IN_MEETING)
            if cases[household_id]["request_id"] != request_id:
                _take_request(w, conference_id, meeting, cases[household_id], request_id)
        for household_id, members in (seats or {}).items():
            if household_id not in cases:
                raise InvalidInput(c.NOT_IN_MEETING)
            c.seat_members(w, conference_id, cases[household_id]["id"], household_id,
                           members=[{"name": name, "organisation": organisation} for name, organisation in members],
                           today=today)

    return c.save_conference(store, draft, conference_id, expected_version=expected_version, today=today, then=agenda)
