"""Issue 19: 支え合いの関係 — add, confirm, end, list; households with no tie; bad input refused
with nothing changed; staff only in their districts."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog, Household
from shakyo_desk.store.services import districts, households, supporters, ties
from tests.store.conftest import login_as

DAY = date(2026, 6, 1)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


def refused(store, words, action):
    before = counts(store)
    with pytest.raises((InvalidInput, NotFound)) as error:
        action()
    assert words in error.value.message
    assert counts(store) == before


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    alone = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル", flags=["一人暮らし高齢者"])
    son = households.add_person(store, alone, "山田 一郎", relation="子")
    return {
        "upper": upper, "lower": lower, "alone": alone, "son": son,
        "couple": households.add_household(store, upper, "田中 トメ", "タナカ トメ", flags=["高齢者のみ"]),
        "other": households.add_household(store, lower, "佐藤 キヨ", "サトウ キヨ", flags=["一人暮らし高齢者"]),
        "young": households.add_household(store, upper, "鈴木 花子", "スズキ ハナコ"),
    }


def test_a_tie_from_record_to_end(store, village):
    assert {u.household_id for u in ties.households_without_tie(store)} == {
        village["alone"], village["couple"], village["other"]}
    neighbour = supporters.add_supporter(store, "隣の 田中", district_id=village["upper"], can_do="声かけ",
                                         contact_consent=True, today=DAY)
    tie = ties.add_tie(store, village["alone"], "見守り", supporter_id=neighbour, frequency="毎朝",
                       since=DAY - timedelta(days=300), today=DAY)
    ties.add_tie(store, village["couple"], "買い物", supporter_name="民生委員 架空", supporter_kind="民生委員",
                 today=DAY)
    assert {u.household_id for u in ties.households_without_tie(store)} == {village["other"]}
    assert [u.household_id for u in ties.households_without_tie(store, village["upper"])] == []
    [info] = ties.list_ties(store, household_id=village["alone"])
    assert (info.supporter, info.kind, info.frequency, info.confirmed_on) == ("隣の 田中", "見守り", "毎朝", DAY)
    assert len(ties.list_ties(store, district_id=village["upper"])) == 2
    ties.confirm_tie(store, tie, DAY + timedelta(days=30), today=DAY + timedelta(days=30))
    ties.update_tie(store, tie, frequency="毎朝と夕方")
    ties.end_tie(store, tie, DAY + timedelta(days=40), today=DAY + timedelta(days=40))
    assert ties.list_ties(store, household_id=village["alone"]) == []
    [ended] = ties.list_ties(store, household_id=village["alone"], include_ended=True)
    assert (ended.ended_on, ended.frequency) == (DAY + timedelta(days=40), "毎朝と夕方")
    assert village["alone"] in {u.household_id for u in ties.households_without_tie(store)}
    assert check_store(store).sound


def test_bad_ties_are_refused_with_nothing_changed(store, village):
    son_as_supporter = supporters.add_supporter(store, "山田 一郎", district_id=village["upper"],
                                                person_id=village["son"], today=DAY)
    refused(store, "同じ世帯", lambda: ties.add_tie(store, village["alone"], "見守り", supporter_id=son_as_supporter,
                                                today=DAY))
    refused(store, "支え合いの種類", lambda: ties.add_tie(store, village["alone"], "占い", supporter_name="隣人",
                                                    today=DAY))
    refused(store, "支え手の立場", lambda: ties.add_tie(store, village["alone"], "見守り", supporter_name="隣人",
                                                   supporter_kind="宇宙人", today=DAY))
    refused(store, "支え手を", lambda: ties.add_tie(store, village["alone"], "見守り", today=DAY))
    refused(store, "未来", lambda: ties.add_tie(store, village["alone"], "見守り", supporter_name="隣人",
                                              since=DAY + timedelta(days=1), today=DAY))
    stranger = households.get_household(store, village["other"], log=False).members[0].id
    refused(store, "この世帯の方", lambda: ties.add_tie(store, village["alone"], "見守り", supporter_name="隣人",
                                                   person_id=stranger, today=DAY))
    tie = ties.add_tie(store, village["alone"], "見守り", supporter_name="隣人", since=DAY - timedelta(days=10),
                       today=DAY)
    refused(store, "始まった日より前", lambda: ties.end_tie(store, tie, DAY - timedelta(days=11), today=DAY))
    ties.end_tie(store, tie, DAY, today=DAY)
    refused(store, "すでに終わって", lambda: ties.end_tie(store, tie, DAY, today=DAY))
    refused(store, "終わっています", lambda: ties.confirm_tie(store, tie, DAY, today=DAY))
    with store.write() as w:  # a household closed another way (bundle, purge)
        w.delete(Household, village["couple"])
    refused(store, "見つかりません", lambda: ties.add_tie(store, village["couple"], "見守り", supporter_name="隣人",
                                                    today=DAY))


def test_staff_record_ties_in_their_districts_only(store, village):
    upper = login_as(store, "upper", "staff", [village["upper"]])
    try:
        ties.add_tie(upper, village["alone"], "声かけ", supporter_name="隣人", supporter_kind="住民", today=DAY)
        before = counts(store)
        with pytest.raises(PermissionDenied):
            ties.add_tie(upper, village["other"], "声かけ", supporter_name="隣人", today=DAY)
        assert counts(store) == before
        assert [u.household_id for u in ties.households_without_tie(upper)] == [village["couple"]]
        assert len(ties.list_ties(upper)) == 1
        with pytest.raises(PermissionDenied):
            ties.households_without_tie(upper, village["lower"])
        with pytest.raises(PermissionDenied):
            ties.list_ties(upper, district_id=village["lower"])
    finally:
        upper.close()


def test_ties_and_activities_are_audited(store, village):
    from shakyo_desk.store.services import activities, audit_log

    tie = ties.add_tie(store, village["alone"], "話し相手", supporter_name="隣人", supporter_kind="住民", today=DAY)
    activity = activities.add_activity(store, "地域懇談会", DAY, "上町 懇談会", district_id=village["upper"], today=DAY)
    page = audit_log.query(store, household_id=village["alone"])
    [entry] = [e for e in page.entries if e.entity_id == tie]
    assert (entry.action, entry.target) == ("support_tie.insert", "支え合いの関係（山田 ハル 世帯）")
    [entry] = [e for e in audit_log.query(store).entries if e.entity_id == activity]
    assert entry.target == "地域活動：上町 懇談会"


# ---- for the screens: many at once, the district list, the members --------------------------


def test_add_ties_saves_the_good_rows_and_reports_the_refused_one(store, village):
    alone, son = village["alone"], village["son"]
    meeting = __import__("shakyo_desk.store.services.activities", fromlist=["x"]).add_activity(
        store, "地域懇談会", DAY, "上町 地域懇談会", district_id=village["upper"], today=DAY)
    rows = [{"household_id": alone, "kind": "声かけ", "supporter_name": "隣の 佐藤", "supporter_kind": "住民",
             "frequency": "毎朝"},
            {"household_id": village["couple"], "kind": "空を飛ぶ", "supporter_name": "民生委員 架空"},
            {"household_id": village["couple"], "kind": "買い物", "supporter_name": "移動販売",
             "supporter_kind": "事業所", "person_id": son}]  # a member of another household
    before = counts(store)
    result = ties.add_ties_each(store, rows + [{"household_id": village["other"], "kind": "見守り",
                                           "supporter_name": "下町の 鈴木", "supporter_kind": "住民"}],
                           activity_id=meeting, today=DAY)
    assert len(result.saved) == 2
    assert [i for i, _ in result.refused] == [1, 2]
    assert "支え合いの種類" in result.refused[0][1] and "この世帯の方" in result.refused[1][1]
    [tie] = ties.list_ties(store, household_id=alone)
    assert (tie.supporter, tie.frequency, tie.source) == ("隣の 佐藤", "毎朝", "懇談会")
    assert ties.list_ties(store, household_id=village["couple"]) == []  # nothing half-written
    with store.read() as s:
        changed = s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one() - before[0]
    assert changed == 2  # one logged insert per saved tie, none for the refused rows


def test_tie_rows_by_district_with_the_household(store, village):
    hamlet = districts.add_district(store, "上町一区", parent_id=village["upper"])
    far = households.add_household(store, hamlet, "小林 ミツ", "コバヤシ ミツ", flags=["一人暮らし高齢者"])
    ties.add_tie(store, far, "見守り", supporter_name="郵便局", supporter_kind="事業所", today=DAY)
    ties.add_tie(store, village["other"], "声かけ", supporter_name="隣の 鈴木", supporter_kind="住民", today=DAY)
    rows = ties.list_tie_rows(store, [village["upper"]])
    assert [(r.household, r.district, r.tie.supporter) for r in rows] == [("小林 ミツ", "上町一区", "郵便局")]
    assert len(ties.list_tie_rows(store)) == 2
    assert ties.household_members(store, village["alone"]) == [
        (m.id, m.name) for m in households.get_household(store, village["alone"], log=False).members]


def test_tie_rows_of_another_district_refused_for_staff(store, village):
    staff = login_as(store, "kita", "staff", [village["upper"]])
    try:
        ties.add_tie(store, village["other"], "声かけ", supporter_name="隣の 鈴木", supporter_kind="住民", today=DAY)
        assert ties.list_tie_rows(staff) == []
        with pytest.raises(PermissionDenied):
            ties.list_tie_rows(staff, [village["lower"]])
    finally:
        staff.close()
