"""Issue 18 items 6 and 7 across installations: 受付表 requests, per-case members, 委嘱 and a
topic-only 支援会議 travel between two real stores; a district laptop holds only its districts'
requests, and a case added to a meeting recorded earlier brings the meeting along; a laptop
whose app writes a coordinator's record past the services is refused."""

from datetime import timedelta

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import ConferenceCaseMember
from shakyo_desk.store.services import (
    accounts, appointments, cases, conferences, districts, households, meeting_requests,
)
from shakyo_desk.store.writer import Actor
from tests.sync.council import PASSPHRASE, carry, enrol, make_office, office_with_laptop

TODAY = clock.today()
MEETING = TODAY + timedelta(days=7)


def test_requests_seats_appointments_and_a_topic_meeting_reach_the_laptop(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        case = cases.open_case(office, household)
        request = meeting_requests.request_meeting(office, case, "multi-agency", "通院の同行の分担",
                                                   agencies_needed=["架空村保健センター"], today=TODAY)
        lower = districts.add_district(office, "下町")
        other = households.add_household(office, lower, "架空 下子")
        meeting = conferences.add_conference(office, "multi-agency", MEETING, members=["田中/包括"], cases=[other],
                                             today=TODAY)
        conferences.add_case(office, meeting, request_id=request, members=["民生/民生委員"], today=TODAY)
        topic = conferences.add_conference(office, "support", MEETING, members=["田中/包括"], topic="冬の移動手段",
                                           body="地域ケア会議", today=TODAY)
        appointments.add_appointment(office, "田中", "包括", "support", TODAY - timedelta(days=1),
                                     TODAY + timedelta(days=300), TODAY - timedelta(days=1), today=TODAY)
        _, report = carry(office, laptop, tmp_path / "out")
        assert report.refused == []
        there = conferences.get_conference(laptop, meeting, log=False)
        [seat] = there.cases[1].member_ids
        assert there.cases[1].request_id == request and [m.id for m in there.members if m.name == "民生"] == [seat]
        assert meeting_requests.get_request(laptop, request).conference_id == meeting
        assert conferences.get_conference(laptop, topic, log=False).topic == "冬の移動手段"
        assert conferences.unacknowledged_members(laptop, topic) == []  # the 委嘱 travelled too
        # Taken off the meeting on the laptop, the request waits again at the office.
        conferences.remove_case(laptop, meeting, case)
        _, report = carry(laptop, office, tmp_path / "back")
        assert report.refused == []
        assert [r.id for r in meeting_requests.pending_requests(office)] == [request]
        assert check_store(office).sound and check_store(laptop).sound


def test_a_district_laptop_holds_its_requests_and_a_meeting_a_late_case_brings(tmp_path):
    office, _ = make_office(tmp_path)
    stores = [office]
    try:
        upper = districts.add_district(office, "上町")
        lower = districts.add_district(office, "下町")
        mine = households.add_household(office, upper, "架空 上子")
        theirs = households.add_household(office, lower, "架空 下子")
        my_case, their_case = cases.open_case(office, mine), cases.open_case(office, theirs)
        kamimachi = enrol(office, tmp_path, "kamimachi", districts=["上町"])
        stores.append(kamimachi)
        # Recorded while it named only 下町's household: not the laptop's.
        meeting = conferences.add_conference(office, "multi-agency", MEETING, members=["田中/包括", "民生/民生委員"],
                                             cases=[theirs], today=TODAY)
        mine_request = meeting_requests.request_meeting(office, my_case, "multi-agency", "上町の検討", today=TODAY)
        their_request = meeting_requests.request_meeting(office, their_case, "multi-agency", "下町の検討", today=TODAY)
        carry(office, kamimachi, tmp_path / "1", for_device="kamimachi")
        carry(kamimachi, office, tmp_path / "2", for_device="事務局")  # the office learns what the laptop holds
        assert [r.id for r in meeting_requests.pending_requests(kamimachi)] == [mine_request]
        assert conferences.list_conferences(kamimachi) == []

        conferences.add_case(office, meeting, request_id=mine_request, members=["民生/民生委員"], today=TODAY)
        _, report = carry(office, kamimachi, tmp_path / "3", for_device="kamimachi")
        assert report.refused == []
        there = conferences.get_conference(kamimachi, meeting, log=False)
        assert [c.household_id for c in there.cases] == [mine]  # 下町's case stays at the office
        assert [m.name for m in there.members] == ["田中", "民生"] and len(there.cases[0].member_ids) == 1
        assert meeting_requests.get_request(kamimachi, mine_request).conference_id == meeting
        assert their_request not in {r.id for r in meeting_requests.pending_requests(kamimachi)}
        assert check_store(kamimachi).sound, check_store(kamimachi).problems
    finally:
        for store in stores:
            store.close()


def test_a_staff_member_may_request_but_a_seat_written_past_the_services_is_refused(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        upper = households.get_household(office, household, log=False).district_id
        staff_id = accounts.add_account(office, "tanaka", "田中 職員", Role.STAFF, PASSPHRASE, district_ids=[upper],
                                        kdf=FAST_KDF)
        case = cases.open_case(office, household)
        meeting = conferences.add_conference(office, "multi-agency", MEETING, members=["田中/包括"], cases=[household],
                                             today=TODAY)
        carry(office, laptop, tmp_path / "out")
        staff = laptop.as_actor(Actor(staff_id, "tanaka", "田中 職員", Role.STAFF, frozenset({upper})))
        request = meeting_requests.request_meeting(staff, case, "multi-agency", "職員からの依頼", today=TODAY)
        (tmp_path / "ok").mkdir()
        exported = export_bundle(laptop, tmp_path / "ok", for_device="事務局")
        [result] = import_paths(office, [exported.path]).results
        assert result.status == "applied", result.message
        assert meeting_requests.get_request(office, request).question == "職員からの依頼"

        [case_key] = [c.id for c in conferences.get_conference(laptop, meeting, log=False).cases]
        [member] = conferences.get_conference(laptop, meeting, log=False).members
        with staff.write() as w:  # a modified app: seats per case are a coordinator's
            w.insert(ConferenceCaseMember, {"conference_id": meeting, "conference_case_id": case_key,
                                            "member_id": member.id, "household_id": household})
        (tmp_path / "bad").mkdir()
        exported = export_bundle(laptop, tmp_path / "bad", for_device="事務局")
        [result] = import_paths(office, [exported.path]).results
        assert (result.status, result.reason) == ("refused", "author"), result.message
        assert "ケースごとの構成員の登録" in result.message and "tanaka" in result.message
        assert conferences.get_conference(office, meeting, log=False).cases[0].member_ids == ()
