"""Retention: households closed longer than the retention period are listed and purged by an
admin; a purge leaves id-only tombstones with no personal text anywhere in the database."""

from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.services import contacts, households, retention, sheets
from tests.store.conftest import login_as

TODAY = date(2026, 12, 5)  # retention 5 years: activity on or before 2021-12-05 is past it
SECRET = "借金の相談を受けた秘密のメモ"


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)  # the records below are dated around this day


def closed_case(store, district, name, kana, closed_on, *, contact_on=None, note=SECRET):
    household = households.add_household(store, district, name, kana, address="架空村上町9-9", phone="0000-11-2222")
    sheet = sheets.file_sheet(store, household_id=household, concerns=["生活費・借金"], urgency="早め",
                              noticed_on=date(2019, 4, 1), today=TODAY)
    sheets.change_status(store, sheet, "終結", changed_on=closed_on, today=TODAY)
    contacts.add_contact(store, household_id=household, contact_date=contact_on or date(2019, 5, 1),
                         seen_heard=note, today=TODAY)
    return household


@pytest.fixture
def cases(store, district):
    return {
        "old": closed_case(store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1)),
        "boundary": closed_case(store, district, "架空 境子", "カクウ サカイコ", date(2021, 12, 5), note="境目のメモ"),
        "day_after": closed_case(store, district, "架空 翌子", "カクウ ヨクコ", date(2021, 12, 6), note="翌日のメモ"),
        "recent_contact": closed_case(store, district, "架空 近子", "カクウ チカコ", date(2019, 6, 1),
                                      contact_on=date(2024, 1, 10), note="最近のメモ"),
        "register_only": households.add_household(store, district, "架空 名簿", "カクウ メイボ"),
    }


def test_closed_households_past_retention_are_listed_at_the_boundary(store, cases):
    expired = {e.household_id: e for e in retention.list_expired(store, TODAY)}
    assert set(expired) == {cases["old"], cases["boundary"]}
    old = expired[cases["old"]]
    assert old.last_activity == date(2019, 6, 1) and not old.deleted
    assert old.records == 6  # household, person, sheet, its two status changes (受付, 終結), the contact


def test_open_sheets_and_watch_keep_a_household(store, cases):
    [sheet] = sheets.list_sheets(store, household_id=cases["old"])
    sheets.change_status(store, sheet.id, "確認中", changed_on=date(2019, 7, 1), today=TODAY)  # reopened long ago
    households.update_household(store, cases["boundary"], watch_level="低")
    assert retention.list_expired(store, TODAY) == []


def test_a_deleted_household_counts_from_its_last_activity(store, district):
    from shakyo_desk.store.models import Household

    household = households.add_household(store, district, "架空 消子", "カクウ ケシコ")  # never had a sheet
    contacts.add_contact(store, household_id=household, contact_date=date(2018, 1, 5), seen_heard="古い訪問", today=TODAY)
    assert retention.list_expired(store, date(2100, 1, 1)) == []  # a register entry is never proposed
    with store.write() as w:
        w.delete(Household, household)
    [expired] = retention.list_expired(store, date(2100, 1, 1))
    assert expired.household_id == household and expired.deleted
    assert retention.list_expired(store, TODAY) == []  # deleted today: today is its last activity


def _all_text(store) -> str:
    """Every value of every table and of the change log, as the decrypted database holds it."""
    parts = []
    with store.engine.connect() as conn:
        for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"'):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_purge_leaves_tombstones_without_personal_text(store, cases):
    assert SECRET in _all_text(store) and "架空 古子" in _all_text(store)
    result = retention.purge_households(store, [cases["old"], cases["boundary"]], TODAY)
    assert result.households == 2 and result.records == 12
    text = _all_text(store)
    for gone in (SECRET, "架空 古子", "カクウ フルコ", "境目のメモ", "架空 境子"):
        assert gone not in text
    assert "翌日のメモ" in text and "架空 翌子" in text  # not past retention: untouched
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, address, phone, deleted_at FROM household WHERE id = :i"),
                           {"i": cases["old"]}).one()
        purges = conn.execute(sa.text("SELECT count(*) FROM change_log WHERE op = 'purge'")).scalar()
    assert row.id == cases["old"] and row.address == "" and row.phone == "" and row.deleted_at is not None
    assert purges == 12
    listed = {r.id for r in households.list_households(store, "")}
    assert cases["old"] not in listed and cases["day_after"] in listed
    assert retention.list_expired(store, TODAY) == []  # a purged household is not proposed again
    assert check_store(store).sound


def test_purge_refuses_what_is_not_past_retention_and_changes_nothing(store, cases):
    with store.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM change_log")).scalar()
    with pytest.raises(InvalidInput, match="保存期間を過ぎていない"):
        retention.purge_households(store, [cases["old"], cases["day_after"]], TODAY)
    with pytest.raises(InvalidInput):
        retention.purge_households(store, [], TODAY)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM change_log")).scalar() == before
    assert SECRET in _all_text(store)


def test_only_admins_list_and_purge(store, cases, district):
    coordinator = login_as(store, "coord", "coordinator")
    try:
        with pytest.raises(PermissionDenied):
            retention.list_expired(coordinator, TODAY)
        with pytest.raises(PermissionDenied):
            retention.purge_households(coordinator, [cases["old"]], TODAY)
    finally:
        coordinator.close()
    assert {e.household_id for e in retention.list_expired(store, TODAY)} == {cases["old"], cases["boundary"]}


def test_cutoff_on_a_leap_day():
    assert retention.cutoff(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert retention.cutoff(TODAY, 5) == date(2021, 12, 5)


def test_purged_households_leave_search_timeline_and_statistics(store, cases):
    from shakyo_desk.domain.errors import NotFound
    from shakyo_desk.store.services import stats, timeline

    def summary(year):
        """(contacts, sheets noticed) in the 年度: the 計 rows of two tables."""
        tables = {t.key: t for t in stats.yearly_figures(store, year, today=TODAY).tables}
        return tuple(next(r for r in tables[key].rows if r.key == "total").values[0]
                     for key in ("contacts_by_method", "sheets_by_urgency"))

    before = summary(2019)
    assert [r.id for r in households.list_households(store, "フルコ")] == [cases["old"]]
    assert timeline.household_timeline(store, cases["old"], log=False)
    retention.purge_households(store, [cases["old"], cases["boundary"]], TODAY)
    assert households.list_households(store, "フルコ") == []
    assert households.list_households(store, "0000-11-2222") != []  # the other cases share the phone
    with store.engine.connect() as conn:
        indexed = set(conn.execute(sa.text("SELECT household_id FROM household_search")).scalars())
    assert cases["old"] not in indexed and cases["boundary"] not in indexed and cases["day_after"] in indexed
    with pytest.raises(NotFound):
        timeline.household_timeline(store, cases["old"], log=False)
    assert before == (3, 4)  # 2019年度: contacts of three cases (one's is in 2024), four sheets
    assert summary(2019) == (1, 2)  # two of those cases erased


def test_a_second_purge_of_the_same_households_changes_nothing(store, cases):
    retention.purge_households(store, [cases["old"]], TODAY)
    with store.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM change_log")).scalar()
    with pytest.raises(InvalidInput, match="すでに削除されています"):
        retention.purge_households(store, [cases["old"]], TODAY)
    assert retention.list_expired(store, TODAY)[0].household_id == cases["boundary"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM change_log")).scalar() == before
    assert check_store(store).sound


def test_a_purge_takes_the_ties_and_leaves_the_supporter_without_the_resident(store, district):
    from shakyo_desk.store.services import supporters, ties

    old_day = date(2019, 5, 1)
    household = households.add_household(store, district, "架空 絆子", "カクウ キズナコ")
    resident = households.add_household(store, district, "架空 支男", "カクウ ササオ")
    person = households.get_household(store, household, log=False).members[0].id
    helper = supporters.add_supporter(store, "架空 絆子", district_id=district, person_id=person, today=old_day)
    ties.add_tie(store, household, "見守り", supporter_name="隣人", supporter_kind="住民", today=old_day)
    ties.add_tie(store, resident, "声かけ", supporter_id=helper, today=old_day)
    sheet = sheets.file_sheet(store, household_id=household, concerns=["介護"], urgency="早め", noticed_on=old_day,
                              today=TODAY)
    sheets.change_status(store, sheet, "終結", changed_on=date(2019, 6, 1), today=TODAY)
    assert [e.household_id for e in retention.list_expired(store, TODAY)] == [household]
    with pytest.raises(InvalidInput):  # a closed household takes no new tie
        ties.add_tie(store, household, "見守り", supporter_name="隣人", today=TODAY)
    retention.purge_households(store, [household], TODAY)
    assert [t.household_id for t in ties.list_ties(store, include_ended=True)] == [resident]
    [kept] = supporters.list_supporters(store)
    assert (kept.id, kept.person_id) == (helper, None)
    assert check_store(store).sound
