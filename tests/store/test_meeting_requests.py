"""Issue 18 items 6 and 7 (services): 受付表 requests, cases added to and removed from a recorded
meeting with members per case, topic-only 支援会議, 委嘱 (standing appointments), consent of the
本人 per case and the agencies it names. Bad input is a Japanese sentence and writes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import audit
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange.scope import scope_records
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import (
    agencies, appointments, cases, conference_consent, conferences, consents, districts, households, meeting_requests, retention, sheets,
)
from shakyo_desk.store.services.audit_log import action_label
from tests.store.conference_drafts import draft_of, edit_conference
from tests.store.conftest import login_as

TODAY = clock.today()
MEETING = TODAY + timedelta(days=10)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    household = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル")
    son = households.add_person(store, household, "山田 一郎", kana="ヤマダ イチロウ", relation="子")
    sheet = sheets.file_sheet(store, household_id=household, concerns=["ひきこもり"], person_of_concern="山田 一郎")
    other = households.add_household(store, lower, "佐藤 キヨ", "サトウ キヨ")
    return {
        "upper": upper, "lower": lower, "household": household, "son": son, "other": other,
        "head": households.get_household(store, household, log=False).members[0].id,
        "case": cases.open_case(store, household, sheet_ids=[sheet]),
        "other_case": cases.open_case(store, other),
        "agency": agencies.add_agency(store, "架空村地域包括支援センター", kana="かくうむらちいきほうかつしえんせんたー"),
    }


def audit_labels(store):
    with store.read() as s:
        entries = audit.entries(s.connection(), s.execute(sa.select(AuditLog.__table__)).all())  # (v2: rebuilt)
        return {action_label(e.action, e.detail) for e in entries}


def test_a_request_waits_for_the_meeting_and_is_taken_into_it(store, village):
    request = meeting_requests.request_meeting(
        store, village["case"], "重層的支援会議", "就労に向けた支援の分担を決めたい",
        agencies_involved="架空村地域包括支援センター、役場 福祉課", agencies_needed=["ハローワーク"], today=TODAY)
    late = meeting_requests.request_meeting(store, village["other_case"], "multi-agency", "見守りの分担",
                                            requested_on=TODAY, today=TODAY)
    [first, second] = meeting_requests.pending_requests(store, "multi-agency", until=MEETING)
    assert first.id == request and first.question == "就労に向けた支援の分担を決めたい" and first.state_label == "受付中"
    assert first.agencies_involved == ("架空村地域包括支援センター", "役場 福祉課") and first.agencies_needed == ("ハローワーク",)
    assert meeting_requests.pending_requests(store, "support") == []
    assert meeting_requests.pending_requests(store, "multi-agency", until=TODAY - timedelta(days=1)) == []

    meeting = conferences.add_conference(store, "multi-agency", MEETING, members=["田中 太郎/架空村地域包括支援センター"],
                                         cases=[village["other"]], today=TODAY)
    case_key = conferences.add_case(store, meeting, request_id=request, members=["上町 民生委員/民生委員"], today=TODAY)
    detail = conferences.get_conference(store, meeting, log=False)
    added = next(c for c in detail.cases if c.id == case_key)
    assert (added.case_id, added.request_id, added.question) == (village["case"], request, "就労に向けた支援の分担を決めたい")
    assert [m.name for m in detail.members] == ["田中 太郎", "上町 民生委員"]  # the 民生委員 joined for this case
    assert added.member_ids == (detail.members[1].id,) and detail.cases[0].member_ids == ()  # the other: everyone
    assert [r.id for r in meeting_requests.pending_requests(store, "multi-agency")] == [late]
    assert meeting_requests.get_request(store, request).state_label.startswith("会議で検討")

    conferences.remove_case(store, meeting, village["case"])  # by the 支援ケース's id
    assert [c.household_id for c in conferences.get_conference(store, meeting, log=False).cases] == [village["other"]]
    assert {r.id for r in meeting_requests.pending_requests(store, "multi-agency")} == {request, late}  # waits again
    labels = audit_labels(store)
    assert {"会議への検討依頼（受付表）の登録", "ケースごとの構成員の登録", "会議で扱う世帯の削除"} <= labels
    assert check_store(store).sound


def test_bad_requests_are_refused_with_a_sentence_and_nothing_written(store, village):
    past = conferences.add_conference(store, "multi-agency", TODAY - timedelta(days=3), members=["田中/包括"],
                                      cases=[village["other"]], today=TODAY)
    support = conferences.add_conference(store, "support", MEETING, members=["田中/包括"], cases=[village["other"]],
                                         today=TODAY)
    before = counts(store)
    with pytest.raises(InvalidInput, match="会議の種類「年次総会」は分かりません"):
        meeting_requests.request_meeting(store, village["case"], "年次総会", "検討", today=TODAY)
    with pytest.raises(InvalidInput, match="すでに開かれています"):  # a request for a meeting that already took place
        meeting_requests.request_meeting(store, village["case"], "multi-agency", "検討", conference_id=past, today=TODAY)
    with pytest.raises(InvalidInput, match="依頼先の会議は支援会議です"):
        meeting_requests.request_meeting(store, village["case"], "multi-agency", "検討", conference_id=support, today=TODAY)
    with pytest.raises(InvalidInput, match="検討したいことを入力してください"):
        meeting_requests.request_meeting(store, village["case"], "multi-agency", " ", today=TODAY)
    with pytest.raises(InvalidInput, match="世帯員ではありません"):
        meeting_requests.request_meeting(store, village["case"], "multi-agency", "検討", person_id=village["other"],
                                         today=TODAY)
    with pytest.raises(InvalidInput, match="未来の日付"):
        meeting_requests.request_meeting(store, village["case"], "multi-agency", "検討",
                                         requested_on=TODAY + timedelta(days=1), today=TODAY)
    assert counts(store) == before

    request = meeting_requests.request_meeting(store, village["case"], "multi-agency", "検討", today=TODAY)
    before = counts(store)
    with pytest.raises(InvalidInput, match="すでに受付中"):
        meeting_requests.request_meeting(store, village["case"], "multi-agency", "もう一度", today=TODAY)
    with pytest.raises(InvalidInput, match="依頼の日より後の会議に入れてください"):  # the past meeting cannot take it
        conferences.add_case(store, past, request_id=request, today=TODAY)
    with pytest.raises(InvalidInput, match="支援会議には入れられません"):
        conferences.add_case(store, support, request_id=request, today=TODAY)
    with pytest.raises(InvalidInput, match="すでにこの会議で取り上げられています"):  # a case added twice
        conferences.add_case(store, support, case_id=village["other_case"], today=TODAY)
    with pytest.raises(InvalidInput, match="この会議で取り上げられていません"):  # removing a case not in the meeting
        conferences.remove_case(store, support, village["case"])
    with pytest.raises(NotFound):
        conferences.add_case(store, support, request_id="no-such-request", today=TODAY)
    assert counts(store) == before

    cases.close_case(store, village["other_case"], "転居", "転居先の社協へ引き継いだ", today=TODAY)
    with pytest.raises(InvalidInput, match="終結しているため"):  # a request for a closed case
        meeting_requests.request_meeting(store, village["other_case"], "multi-agency", "検討", today=TODAY)
    meeting_requests.withdraw_request(store, request, today=TODAY)
    assert meeting_requests.pending_requests(store) == []
    with pytest.raises(InvalidInput, match="取り下げられています"):
        conferences.add_case(store, support, request_id=request, today=TODAY)


def test_a_coordinators_request_for_a_coming_meeting_is_taken_at_once(store, village):
    meeting = conferences.add_conference(store, "multi-agency", MEETING, members=["田中/包括"], cases=[village["other"]],
                                         today=TODAY)
    request = meeting_requests.request_meeting(store, village["case"], "multi-agency", "分担", conference_id=meeting,
                                               today=TODAY)
    assert meeting_requests.get_request(store, request).conference_id == meeting
    assert [c.request_id for c in conferences.get_conference(store, meeting, log=False).cases] == [None, request]


def test_staff_request_for_their_district_only_and_cannot_add_cases(store, village):
    staff = login_as(store, "sato", Role.STAFF, [village["upper"]])
    try:
        request = meeting_requests.request_meeting(staff, village["case"], "multi-agency", "分担", today=TODAY)
        with pytest.raises(PermissionDenied):
            meeting_requests.request_meeting(staff, village["other_case"], "multi-agency", "分担", today=TODAY)
        meeting_requests.request_meeting(store, village["other_case"], "multi-agency", "分担", today=TODAY)
        assert [r.id for r in meeting_requests.pending_requests(staff)] == [request]  # not the other district's
        meeting = conferences.add_conference(store, "multi-agency", MEETING, members=["田中/包括"],
                                             cases=[village["other"]], today=TODAY)
        with pytest.raises(PermissionDenied):
            conferences.add_case(staff, meeting, request_id=request, today=TODAY)
        with pytest.raises(PermissionDenied):
            appointments.add_appointment(staff, "田中", "包括", "support", TODAY, TODAY, TODAY, today=TODAY)
    finally:
        staff.close()


def test_a_support_conference_on_a_topic_has_no_household_and_reaches_every_district(store, village):
    with pytest.raises(InvalidInput, match="検討するテーマを入力してください"):
        conferences.add_conference(store, "support", MEETING, members=["田中/包括"], cases=[], today=TODAY)
    with pytest.raises(InvalidInput, match="支援会議か地域ケア会議のときだけ"):
        conferences.add_conference(store, "multi-agency", MEETING, members=["田中/包括"], topic="移動手段", today=TODAY)
    meeting = conferences.add_conference(store, "support", MEETING, members=["田中/包括"], topic="冬の移動手段の不足",
                                         body="地域ケア会議", today=TODAY)
    detail = conferences.get_conference(store, meeting, log=False)
    assert (detail.topic, detail.body, detail.cases, detail.legal_basis_label) == (
        "冬の移動手段の不足", "地域ケア会議", (), "社会福祉法第106条の6")
    with store.engine.connect() as conn:
        covered = scope_records(conn, [village["lower"]])
    assert meeting in covered["conference"] and detail.members[0].id in covered["conference_member"]


def test_members_per_case_and_the_principals_consent_for_the_agencies_it_names(store, village):
    meeting = conferences.add_conference(
        store, "multi-agency", MEETING, today=TODAY, cases=[village["household"], village["other"]],
        members=["田中 太郎/架空村 地域包括支援センター", "鈴木 花子/役場 福祉課", "上町 民生委員/民生委員",
                 "事務局 職員/テスト村社会福祉協議会"])
    detail = conferences.get_conference(store, meeting, log=False)
    yamada, sato = detail.cases
    # The 本人 of the 山田 case is the son the sheet is about, not the head; 佐藤's is her head.
    assert [m.person_name for m in conference_consent.missing_consent(store, meeting)] == ["山田 一郎", "佐藤 キヨ"]
    consents.add_consent(store, village["son"], "multi-agency", agencies=["かくうむらちいきほうかつしえんせんたー"],
                         given_on=TODAY, today=TODAY)  # the directory's kana: the same agency
    [sato_head] = [p.id for p in households.get_household(store, village["other"], log=False).members]
    consents.add_consent(store, sato_head, "multi-agency", given_on=TODAY, today=TODAY)  # not limited
    assert conference_consent.missing_consent(store, meeting) == []
    uncovered = conference_consent.uncovered_seats(store, meeting)
    # The agency (width and spaces aside) and the council itself are covered; 役場 and the 民生委員 are not.
    assert [(u.member_label, u.case_id) for u in uncovered] == [
        ("鈴木 花子（役場 福祉課）", yamada.id), ("上町 民生委員（民生委員）", yamada.id)]
    assert "山田 一郎さん" in uncovered[0].text and "このケースを載せません" in uncovered[0].text
    # The 民生委員 of 上町 sits only for that district's case (山田): 佐藤's case names the others.
    tanaka, suzuki, minsei, staff = (m.id for m in detail.members)
    conferences.set_case_members(store, meeting, sato.id, [staff, suzuki, tanaka])
    conferences.set_case_members(store, meeting, yamada.id, members=["田中 太郎/架空村 地域包括支援センター", "上町 民生委員/民生委員"])
    assert [u.member_label for u in conference_consent.uncovered_seats(store, meeting)] == ["上町 民生委員（民生委員）"]
    after = conferences.get_conference(store, meeting, log=False)
    assert after.cases[0].member_ids == (tanaka, minsei) and after.cases[1].member_ids == (tanaka, suzuki, staff)
    assert not after.cases[1].seats(minsei) and after.cases[0].seats(minsei)
    assert conference_consent.uncovered_seats(store, conferences.add_conference(
        store, "support", MEETING, members=["鈴木/役場"], cases=[village["household"]], today=TODAY)) == []


def test_a_standing_appointment_counts_as_the_pledge_for_its_period(store, village):
    start, end = TODAY - timedelta(days=30), TODAY + timedelta(days=335)
    meeting = conferences.add_conference(store, "support", MEETING, members=["田中 太郎/包括", "鈴木 花子/役場"],
                                         cases=[village["household"]], today=TODAY)
    assert [m.name for m in conferences.unacknowledged_members(store, meeting)] == ["田中 太郎", "鈴木 花子"]
    appointment = appointments.add_appointment(store, "田中　太郎", "包括", "支援会議", start, end, start, today=TODAY)
    assert [m.name for m in conferences.unacknowledged_members(store, meeting)] == ["鈴木 花子"]
    assert [r.unacknowledged_count for r in conferences.list_conferences(store) if r.id == meeting] == [1]
    [member] = [m for m in conferences.get_conference(store, meeting, log=False).members if m.name == "田中 太郎"]
    assert member.acknowledged and member.appointed_until == end
    other_type = conferences.add_conference(store, "multi-agency", MEETING, members=["田中 太郎/包括"],
                                            cases=[village["household"]], today=TODAY)
    assert [m.name for m in conferences.unacknowledged_members(store, other_type)] == ["田中 太郎"]
    before = counts(store)
    with pytest.raises(InvalidInput, match="重なる支援会議の委嘱"):
        appointments.add_appointment(store, "田中 太郎", "包括", "support", TODAY, end, TODAY, today=TODAY)
    with pytest.raises(InvalidInput, match="終了日が開始日より前"):
        appointments.add_appointment(store, "佐藤", "包括", "support", end, start, start, today=TODAY)
    with pytest.raises(InvalidInput, match="未来の日付"):
        appointments.add_appointment(store, "佐藤", "包括", "support", start, end, TODAY + timedelta(days=1), today=TODAY)
    assert counts(store) == before
    appointments.end_appointment(store, appointment, MEETING, today=TODAY)
    assert [m.name for m in conferences.unacknowledged_members(store, meeting)] == ["田中 太郎", "鈴木 花子"]
    assert [a.name for a in appointments.list_appointments(store)] == ["田中　太郎"]  # as written on the 委嘱状
    assert appointments.list_appointments(store, on=MEETING) == []


def test_requests_go_with_their_household_in_scope_and_purge(store, village):
    request = meeting_requests.request_meeting(store, village["case"], "multi-agency", "分担", today=TODAY)
    other = meeting_requests.request_meeting(store, village["other_case"], "multi-agency", "分担", today=TODAY)
    meeting = conferences.add_conference(store, "multi-agency", MEETING, members=["田中/包括", "民生/民生委員"],
                                         cases=[village["other"]], today=TODAY)
    key = conferences.add_case(store, meeting, request_id=request, members=["民生/民生委員"], today=TODAY)
    with store.engine.connect() as conn:
        upper, lower = scope_records(conn, [village["upper"]]), scope_records(conn, [village["lower"]])
    assert request in upper["meeting_request"] and other not in upper["meeting_request"]
    assert other in lower["meeting_request"] and request not in lower["meeting_request"]
    [seat] = conferences.get_conference(store, meeting, log=False).cases[1].member_ids
    assert len(upper["conference_case_member"]) == 1 and lower["conference_case_member"] == set()
    assert key in upper["conference_case"] and meeting in upper["conference"] and seat in upper["conference_member"]
    # Purging the household takes its requests and seats.
    from shakyo_desk.store.models import ConferenceCaseMember, MeetingRequest

    with store.engine.connect() as conn:
        found = dict(retention._records_of(conn, [village["household"]]))
    assert request in found[MeetingRequest] and len(found[ConferenceCaseMember]) == 1


def test_check_finds_a_meeting_case_pointing_at_a_missing_case(store, village):
    meeting = conferences.add_conference(store, "multi-agency", MEETING, members=["田中/包括"],
                                         cases=[village["household"]], today=TODAY)
    [case] = conferences.get_conference(store, meeting, log=False).cases
    assert case.case_id == village["case"]  # the household's open 支援ケース, when none is named
    assert check_store(store).sound
    with store.engine.begin() as conn:  # damage as a faulty import might leave it (past the writer)
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("UPDATE conference_case SET case_id = 'no-such-case'")
    problems = check_store(store).problems
    assert any("項目：case_id" in p for p in problems), problems


def test_removing_the_only_member_of_a_case_does_not_open_it_to_everyone(store, village):
    meeting = conferences.add_conference(store, "support", MEETING, members=["田中/包括", "鈴木/役場"],
                                         cases=[village["household"], village["other"]], today=TODAY)
    detail = conferences.get_conference(store, meeting, log=False)
    tanaka, suzuki = (m.id for m in detail.members)
    conferences.set_case_members(store, meeting, detail.cases[0].id, [suzuki])
    edit_conference(store, meeting, members=tuple(m for m in draft_of(
        conferences.get_conference(store, meeting, log=False)).members if m.id == tanaka), today=TODAY)
    first, second = conferences.get_conference(store, meeting, log=False).cases
    assert first.limited and first.member_ids == () and not first.seats(tanaka)  # nobody, not everyone
    assert not second.limited and second.seats(tanaka)
    conferences.set_case_members(store, meeting, first.id, [])  # chosen on purpose: everyone again
    assert conferences.get_conference(store, meeting, log=False).cases[0].seats(tanaka)


def test_a_meeting_collects_the_requests_that_came_in_until_its_date(store, village):
    third = cases.open_case(store, households.add_household(store, village["upper"], "森 ハナ", "モリ ハナ"))
    early = meeting_requests.request_meeting(store, village["case"], "multi-agency", "分担",
                                             requested_on=TODAY - timedelta(days=9), today=TODAY)
    on_agenda = meeting_requests.request_meeting(store, village["other_case"], "multi-agency", "見守り",
                                                 requested_on=TODAY - timedelta(days=5), today=TODAY)
    after = meeting_requests.request_meeting(store, third, "multi-agency", "あとから", today=TODAY)
    meeting_requests.request_meeting(store, third, "support", "別の種類", today=TODAY)
    meeting = conferences.add_conference(store, "multi-agency", TODAY - timedelta(days=1), members=["田中/包括"],
                                         cases=[village["other"]], today=TODAY)
    added = conferences.collect_requests(store, meeting, today=TODAY)
    detail = conferences.get_conference(store, meeting, log=False)
    assert [c.request_id for c in detail.cases] == [None, early] and [detail.cases[1].id] == added
    # 佐藤's household is already on the agenda; the third came after the meeting day: both wait.
    assert {r.id for r in meeting_requests.pending_requests(store, "multi-agency")} == {on_agenda, after}
    assert conferences.collect_requests(store, meeting, today=TODAY) == []
