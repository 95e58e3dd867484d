"""Issue 19 across installations: ties, supporters and activities travel between two real
stores; a district laptop holds only its districts' (and the council-wide) records; a staff
member's app that writes a coordinator's record (a 担い手) past the services is refused."""

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import Supporter
from shakyo_desk.store.services import (
    accounts,
    activities,
    community_issues,
    districts,
    households,
    support_map,
    supporters,
    ties,
)
from shakyo_desk.store.writer import Actor
from tests.sync.council import PASSPHRASE, carry, enrol, make_office, office_with_laptop

TODAY = clock.today()


def test_a_district_laptop_holds_only_its_districts_community_work(tmp_path):
    office, _ = make_office(tmp_path)
    stores = [office]
    try:
        upper = districts.add_district(office, "上町")
        lower = districts.add_district(office, "下町")
        mine = households.add_household(office, upper, "架空 上子", flags=["一人暮らし高齢者"])
        theirs = households.add_household(office, lower, "架空 下子", flags=["一人暮らし高齢者"])
        lower_person = households.get_household(office, theirs, log=False).members[0].id
        # a supporter named after a 下町 resident: the 上町 laptop gets the supporter, not the resident
        lower_helper = supporters.add_supporter(office, "下町の 担い手", district_id=lower, person_id=lower_person)
        supporters.add_supporter(office, "上町の 担い手", district_id=upper)
        supporters.add_supporter(office, "社協の ボランティア")
        supporters.add_supporter(office, "下町の 別の人", district_id=lower)
        my_tie = ties.add_tie(office, mine, "見守り", supporter_id=lower_helper)  # a helper from the next district
        ties.add_tie(office, theirs, "声かけ", supporter_name="隣人")
        issue = community_issues.add_issue(office, "買い物の足がない")
        activities.add_activity(office, "地域懇談会", TODAY, "上町 懇談会", district_id=upper, issue_ids=[issue])
        activities.add_activity(office, "学習会", TODAY, "下町 学習会", district_id=lower, issue_ids=[issue])
        kamimachi = enrol(office, tmp_path, "kamimachi", districts=["上町"])
        stores.append(kamimachi)
        assert [t.id for t in ties.list_ties(kamimachi)] == [my_tie]
        assert ties.list_ties(kamimachi)[0].supporter == "下町の 担い手"  # the tie brings its supporter
        assert {s.name for s in supporters.list_supporters(kamimachi)} == {
            "下町の 担い手", "上町の 担い手", "社協の ボランティア"}
        assert [a.title for a in activities.list_activities(kamimachi)] == ["上町 懇談会"]
        [entry] = community_issues.list_issues(kamimachi)
        assert entry.activity_count == 1
        assert check_store(kamimachi).sound, check_store(kamimachi).problems

        ties.add_tie(office, mine, "ごみ出し", supporter_name="民生委員", supporter_kind="民生委員")
        ties.add_tie(office, theirs, "送迎", supporter_name="親戚", supporter_kind="親族")
        _, report = carry(office, kamimachi, tmp_path / "1", for_device="kamimachi")
        assert report.refused == []
        assert {t.kind for t in ties.list_ties(kamimachi)} == {"見守り", "ごみ出し"}
        # The laptop carries 上町's 支え合いマップ: the same households, supporters and ties as the office's.
        here, there = (support_map.build_map(s, upper) for s in (office, kamimachi))
        assert [(h.id, h.ties, h.untied) for h in there.households] == [
            (h.id, h.ties, h.untied) for h in here.households]
        assert [(s.label, s.kind, s.households) for s in there.supporters] == [
            (s.label, s.kind, s.households) for s in here.supporters] and len(there.supporters) == 2
        assert sorted((t.id, t.kind) for t in there.ties) == sorted((t.id, t.kind) for t in here.ties)
    finally:
        for store in stores:
            store.close()


def test_a_staff_tie_travels_but_a_supporter_written_past_the_services_is_refused(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        upper = households.get_household(office, household, log=False).district_id
        staff_id = accounts.add_account(office, "tanaka", "田中 職員", Role.STAFF, PASSPHRASE, district_ids=[upper],
                                        kdf=FAST_KDF)
        carry(office, laptop, tmp_path / "out")
        staff = laptop.as_actor(Actor(staff_id, "tanaka", "田中 職員", Role.STAFF, frozenset({upper})))
        tie = ties.add_tie(staff, household, "安否確認", supporter_name="隣の 鈴木", supporter_kind="住民",
                           frequency="毎晩")
        activities.add_activity(staff, "出張相談", TODAY, "上町 出張相談", district_id=upper)
        (tmp_path / "ok").mkdir()
        exported = export_bundle(laptop, tmp_path / "ok", for_device="事務局")
        [result] = import_paths(office, [exported.path]).results
        assert result.status == "applied", result.message
        assert [t.frequency for t in ties.list_ties(office, household_id=household)] == ["毎晩"]
        assert [t.id for t in ties.list_ties(office)] == [tie]

        with staff.write() as w:  # a modified app: supporters are a coordinator's
            w.insert(Supporter, {"name": "勝手な担い手", "kana": "", "district_id": upper, "can_do": "",
                                 "contact_consent": False, "current_role": ""})
        (tmp_path / "bad").mkdir()
        exported = export_bundle(laptop, tmp_path / "bad", for_device="事務局")
        [result] = import_paths(office, [exported.path]).results
        assert (result.status, result.reason) == ("refused", "author"), result.message
        assert "担い手" in result.message and "tanaka" in result.message
        assert supporters.list_supporters(office) == []
