"""Issue 18: the conference editor's save (meeting_agenda.save_agenda) takes 受付表 requests and
sets who sits for a case in the same transaction as the conference; a refusal writes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.models import ChangeLog
from shakyo_desk.store.services import cases, conferences, districts, households, meeting_requests
from shakyo_desk.store.services.conferences import CaseDraft, ConferenceDraft, MemberDraft
from shakyo_desk.store.services.meeting_agenda import save_agenda

TODAY = clock.today()
MEETING = TODAY + timedelta(days=7)


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    household = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル")
    other = households.add_household(store, upper, "佐藤 キヨ", "サトウ キヨ")
    case = cases.open_case(store, household)
    return {"household": household, "other": other, "case": case,
            "request": meeting_requests.request_meeting(store, case, "support", "見守りの分担を決めたい", today=TODAY)}


def changes(store):
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one()


def draft(cases_=(), members=(("田中 太郎", "地域包括支援センター"), ("山本 和子", "民生委員"))):
    return ConferenceDraft("support", MEETING, members=tuple(MemberDraft(n, o) for n, o in members), cases=tuple(cases_))


def test_a_new_meeting_takes_a_request_and_seats_one_member(store, village):
    conference_id = save_agenda(
        store, draft([CaseDraft(village["household"], "見守りの分担を決めたい", case_id=village["case"])]),
        requests={village["household"]: village["request"]},
        seats={village["household"]: [("山本 和子", "民生委員")]}, today=TODAY)
    detail = conferences.get_conference(store, conference_id, log=False)
    [case] = detail.cases
    assert case.request_id == village["request"] and case.case_id == village["case"]
    yamamoto = next(m for m in detail.members if m.name == "山本 和子")
    tanaka = next(m for m in detail.members if m.name == "田中 太郎")
    assert case.limited and case.seats(yamamoto.id) and not case.seats(tanaka.id)
    assert meeting_requests.get_request(store, village["request"]).conference_id == conference_id
    assert meeting_requests.pending_requests(store, "support") == []

    # everyone sits again; leaving the case off puts the request back in the list
    save_agenda(store, draft([CaseDraft(village["household"], "見守り", id=case.id)]), conference_id,
                seats={village["household"]: []}, today=TODAY)
    assert not conferences.get_conference(store, conference_id, log=False).cases[0].limited
    save_agenda(store, draft([CaseDraft(village["other"], "別の世帯")]), conference_id, today=TODAY)
    assert [r.id for r in meeting_requests.pending_requests(store, "support")] == [village["request"]]


def test_a_withdrawn_request_refuses_the_whole_save(store, village):
    meeting_requests.withdraw_request(store, village["request"], today=TODAY)
    before = changes(store)
    with pytest.raises(InvalidInput, match="取り下げられました"):
        save_agenda(store, draft([CaseDraft(village["household"], "q")]),
                    requests={village["household"]: village["request"]}, today=TODAY)
    assert changes(store) == before and conferences.list_conferences(store) == []


def test_a_request_of_another_type_is_refused(store, village):
    other = meeting_requests.request_meeting(store, village["case"], "multi-agency", "同意のもとで共有", today=TODAY)
    with pytest.raises(InvalidInput, match="重層的支援会議への依頼"):
        save_agenda(store, draft([CaseDraft(village["household"], "q")]), requests={village["household"]: other},
                    today=TODAY)
    assert conferences.list_conferences(store) == []
