"""Issue 19: 担い手 — coordinators add and update them; per-district counts against the year's
target; staff see their districts' and the council-wide ones; a purged resident's link goes."""

from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import districts, households, supporters
from tests.store.conftest import login_as

DAY = date(2026, 6, 1)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def towns(store):
    return {"upper": districts.add_district(store, "上町"), "lower": districts.add_district(store, "下町")}


def test_supporters_counted_against_targets(store, towns):
    resident = households.add_household(store, towns["upper"], "田中 一夫", "タナカ カズオ")
    person = households.get_household(store, resident, log=False).members[0].id
    first = supporters.add_supporter(store, "田中 一夫", kana="たなか かずお", district_id=towns["upper"],
                                     can_do="ごみ出し", contact_consent=True, person_id=person, since=DAY, today=DAY)
    supporters.add_supporter(store, "ボランティア会", today=DAY)  # council-wide
    supporters.set_target(store, 2026, 5, towns["upper"])
    supporters.set_target(store, 2026, 3, towns["upper"])  # replaces
    supporters.set_target(store, 2026, 20)
    by = {c.district: c for c in supporters.counts(store, 2026)}
    assert (by["上町"].supporters, by["上町"].target) == (1, 3)
    assert (by["下町"].supporters, by["下町"].target) == (0, None)
    assert (by["社協全体"].supporters, by["社協全体"].target) == (2, 20)
    supporters.update_supporter(store, first, name="田中 一夫", district_id=towns["upper"], can_do="ごみ出し、声かけ",
                                contact_consent=True, today=DAY)
    assert supporters.get_supporter(store, first).can_do == "ごみ出し、声かけ"
    assert check_store(store).sound


def test_bad_input_and_roles(store, towns):
    before = counts(store)
    for words, action in (
        ("名前", lambda: supporters.add_supporter(store, "  ", today=DAY)),
        ("未来", lambda: supporters.add_supporter(store, "山田", since=date(2026, 6, 2), today=DAY)),
        ("目標数", lambda: supporters.set_target(store, 2026, -1)),
    ):
        with pytest.raises((InvalidInput, NotFound)) as error:
            action()
        assert words in error.value.message
    assert counts(store) == before
    supporters.add_supporter(store, "上町の人", district_id=towns["upper"], today=DAY)
    supporters.add_supporter(store, "下町の人", district_id=towns["lower"], today=DAY)
    supporters.add_supporter(store, "全体の人", today=DAY)
    upper = login_as(store, "upper", "staff", [towns["upper"]])
    try:
        with pytest.raises(PermissionDenied):
            supporters.add_supporter(upper, "勝手に", district_id=towns["upper"], today=DAY)
        with pytest.raises(PermissionDenied):
            supporters.set_target(upper, 2026, 9, towns["upper"])
        assert {s.name for s in supporters.list_supporters(upper)} == {"上町の人", "全体の人"}
    finally:
        upper.close()


def test_households_carried_count_live_ties_only(store, towns):
    from shakyo_desk.store.services import ties

    helper = supporters.add_supporter(store, "世話役 さん", district_id=towns["upper"], today=DAY)
    homes = [households.add_household(store, towns["upper"], f"高齢 {n}", flags=["一人暮らし高齢者"]) for n in "一二三"]
    for home in homes:
        ties.add_tie(store, home, "見守り", supporter_id=helper, today=DAY)
    ties.add_tie(store, homes[0], "買い物", supporter_id=helper, today=DAY)  # same household twice: one
    gone = ties.add_tie(store, homes[2], "送迎", supporter_name="別の人", supporter_kind="住民", today=DAY)
    ties.end_tie(store, ties.list_ties(store, household_id=homes[1])[0].id, DAY, today=DAY)
    assert supporters.carried_counts(store) == {helper: 2}
    assert gone


def test_a_sheet_prefills_the_supporter_it_names(store, towns):
    from shakyo_desk.store.services import sheets

    home = households.add_household(store, towns["lower"], "佐藤 ハナ", "サトウ ハナ")
    son = households.add_person(store, home, "佐藤 次郎", kana="サトウ ジロウ", relation="子")
    sheet = sheets.file_sheet(store, household_id=home, person_of_concern="佐藤次郎", situation="退職して家にいる", concerns=["介護"],
                              possible_supporter="雪かきを手伝えそう", today=DAY)
    prefill = supporters.prefill_from_sheet(store, sheet)
    assert (prefill.name, prefill.kana, prefill.district_id, prefill.person_id, prefill.can_do) == (
        "佐藤 次郎", "サトウ ジロウ", towns["lower"], son, "雪かきを手伝えそう")
    loose = sheets.file_sheet(store, household_hint="駅前の方", person_of_concern="駅前の 山口さん",
                              situation="話し好き", concerns=["介護"], possible_supporter="サロンを手伝えそう", today=DAY)
    assert (supporters.prefill_from_sheet(store, loose).name, supporters.prefill_from_sheet(store, loose).person_id) \
        == ("駅前の 山口さん", None)


@pytest.mark.parametrize("text, yes", [("サロンの手伝いを頼めそう", True), ("できそう", True), ("なし", False),
                                       ("", False), ("体調的に難しい", False), ("いいえ。", False)])
def test_what_a_sheet_says_of_becoming_a_supporter(text, yes):
    assert supporters.sheet_suggests_supporter(text) is yes
