"""ties.add_ties (issue 19): many ties in one transaction, each row checked as add_tie checks
it; one refused row refuses the batch with nothing changed; a row may record a tie that ended."""

from datetime import date, timedelta

import pytest

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.store.models import ConcernSheet
from shakyo_desk.store.services import retention, supporters, ties
from tests.store.conftest import login_as
from tests.store.test_ties import DAY, counts, refused, village  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def _on_day(pin_today):
    pin_today(DAY)


def test_a_batch_is_written_with_its_days(store, village):  # noqa: F811
    helper = supporters.add_supporter(store, "架空 一", district_id=village["upper"], today=DAY)
    ids = ties.add_ties(store, [
        {"household_id": village["alone"], "kind": "見守り", "supporter_id": helper, "since": "2025-01-01",
         "today": DAY - timedelta(days=400)},
        {"household_id": village["couple"], "kind": "買い物", "supporter_name": "移動販売", "supporter_kind": "事業所"},
        {"household_id": village["other"], "kind": "声かけ", "supporter_name": "隣の方", "supporter_kind": "住民",
         "since": "2025-03-01", "ended_on": "2026-05-01", "note": "引っ越した"},
    ])
    assert len(ids) == 3
    listed = {t.id: t for t in ties.list_ties(store, include_ended=True)}
    assert listed[ids[0]].confirmed_on == DAY - timedelta(days=400) and listed[ids[0]].supporter == "架空 一"
    assert listed[ids[1]].confirmed_on == DAY  # no day given: today
    assert listed[ids[2]].ended_on == date(2026, 5, 1)
    assert {u.household_id for u in ties.households_without_tie(store)} == {village["other"]}


@pytest.mark.parametrize("row, words", [
    ({"kind": "散歩", "supporter_name": "隣の方"}, "2件目"),
    ({"kind": "見守り"}, "名前を入力してください"),
    ({"kind": "見守り", "supporter_name": "隣の方", "since": "2026-05-01", "ended_on": "2026-04-01"},
     "始まった日より前"),
    ({"kind": "見守り", "supporter_name": "隣の方", "ended_on": "2027-01-01"}, "未来の日付"),
])
def test_one_bad_row_refuses_the_batch(store, village, row, words):  # noqa: F811
    good = {"household_id": village["alone"], "kind": "見守り", "supporter_name": "隣の方"}
    refused(store, words, lambda: ties.add_ties(store, [good, {"household_id": village["couple"], **row}]))
    assert ties.list_ties(store) == []


def test_the_household_checks_of_add_tie_hold(store, village):  # noqa: F811
    own = supporters.add_supporter(store, "山田 一郎", person_id=village["son"], today=DAY)
    good = {"household_id": village["other"], "kind": "見守り", "supporter_name": "隣の方"}
    refused(store, "同じ世帯", lambda: ties.add_ties(store, [
        good, {"household_id": village["alone"], "kind": "見守り", "supporter_id": own}]))
    refused(store, "この世帯の方から", lambda: ties.add_ties(store, [
        good, {"household_id": village["couple"], "kind": "見守り", "supporter_name": "隣", "person_id": village["son"]}]))
    refused(store, "世帯が見つかりません", lambda: ties.add_ties(store, [
        good, {"household_id": "no-such", "kind": "見守り", "supporter_name": "隣"}]))
    refused(store, "担い手が見つかりません", lambda: ties.add_ties(store, [
        good, {"household_id": village["couple"], "kind": "見守り", "supporter_id": "no-such"}]))


def test_a_closed_household_is_refused_as_add_tie_refuses_it(store, village):  # noqa: F811
    with store.write() as w:  # every sheet of the household 終結 and no 見守り: closed
        w.insert(ConcernSheet, {"household_id": village["young"], "noticed_on": DAY, "status": "終結"})
    with store.read() as s:
        assert retention.is_closed(s.connection(), village["young"])
    row = {"household_id": village["young"], "kind": "見守り", "supporter_name": "隣"}
    refused(store, "終結または削除", lambda: ties.add_tie(store, **row))
    refused(store, "終結または削除", lambda: ties.add_ties(store, [row]))


def test_staff_only_in_their_districts(store, village):  # noqa: F811
    staff = login_as(store, "lower1", "staff", [village["lower"]])
    try:
        before = counts(store)
        with pytest.raises(PermissionDenied):
            ties.add_ties(staff, [{"household_id": village["other"], "kind": "見守り", "supporter_name": "隣"},
                                  {"household_id": village["alone"], "kind": "見守り", "supporter_name": "隣"}])
        assert counts(store) == before
        assert len(ties.add_ties(staff, [{"household_id": village["other"], "kind": "見守り",
                                          "supporter_name": "隣"}])) == 1
    finally:
        staff.close()
