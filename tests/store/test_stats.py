"""Statistics (issue 6): figures of the hand-made data set (tests/store/test_stats_dataset.py),
whose totals are known; 年度 boundaries; districts and who may see what; periods refused."""

from datetime import date

import pytest

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.store.services import salons, stats
from shakyo_desk.store.services.council import update_settings
from tests.store.conftest import login_as
from tests.store.test_stats_dataset import build_dataset

D = date.fromisoformat
TODAY = D("2026-01-15")


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)  # the records below are dated around this day


@pytest.fixture
def data(store):
    return build_dataset(store)


@pytest.fixture
def fy2024(store, data):
    return stats.yearly_figures(store, 2024, today=TODAY)


def values(table, column=None):
    """{row label: value of the column} (or all values when no column is given)."""
    index = None if column is None else next(i for i, c in enumerate(table.columns) if c.key == column)
    return {r.label: (r.values if index is None else r.values[index]) for r in table.rows}


def test_period_and_labels(fy2024):
    assert fy2024.period.start == D("2024-04-01") and fy2024.period.last_day == D("2025-03-31")
    assert fy2024.period.label == "令和6年度" and fy2024.previous_period.label == "令和5年度"
    assert fy2024.period.range_text == "令和6年4月1日～令和7年3月31日"
    assert fy2024.district == "全地区" and fy2024.threshold == 3 and fy2024.raw_allowed
    assert [t.key for t in fy2024.tables] == list(stats.TABLE_KEYS)
    assert fy2024.notes == ()  # a finished period with data: nothing to remark


def test_contacts_by_method_count_failed_attempts(fy2024):
    table = fy2024.table("contacts_by_method")
    assert values(table, "contacts") == {"訪問": 5, "電話": 2, "来所": 0, "同行": 0, "立ち寄り": 1, "不在": 2, "計": 10}
    # households per method: 不在 reached H1 and H3; the total counts each household once
    assert values(table, "households") == {"訪問": 4, "電話": 2, "来所": 0, "同行": 0, "立ち寄り": 0, "不在": 2, "計": 4}
    # The 不在 count is the district table's うち不在 total and the summary's: linked, so that
    # suppression hides all three or none (one shown would give the others away).
    failed = next(r for r in table.rows if r.label == "不在")
    district_total = fy2024.table("contacts_by_district").total_row
    assert failed.link(0) and failed.link(0) == district_total.link(1)


def test_contacts_by_district_roll_hamlets_up(fy2024):
    table = fy2024.table("contacts_by_district")
    assert values(table) == {
        "北地区": (7, 2, 0, 3, 1),  # H1 3 + H2 2 + H3 2; new: H1 only (H2 and H3 had earlier contacts)
        "南地区": (3, 0, 1, 1, 1),  # H4 2 + the shop; new: H4
        "計": (10, 2, 1, 4, 2),
    }
    assert table.total_row.values == (10, 2, 1, 4, 2)


def test_contacts_by_concern_are_not_additive(fy2024):
    table = fy2024.table("contacts_by_concern")
    got = {k: v for k, v in values(table).items() if any(v)}
    assert got == {"生活費・借金": (1, 1), "介護": (2, 1), "孤立": (2, 2)}
    assert table.total_row is None and not table.columns[0].additive
    assert [r.label for r in table.rows][:3] == ["生活費・借金", "介護", "障がい"]  # the council's category order


def test_salons_count_named_and_unnamed_and_distinct_persons(fy2024):
    table = fy2024.table("salons")
    assert values(table) == {
        "ひだまりサロン": (3, 9, 6, 3, 3),
        "川辺いきいきサロン": (1, 6, 2, 4, 2),
        "計": (4, 15, 8, 7, 4),  # A came to both salons: 4 persons, not 5
    }
    assert values(fy2024.table("salons_by_district")) == {
        "北地区": (3, 9, 6, 3, 3), "南地区": (1, 6, 2, 4, 2), "計": (4, 15, 8, 7, 4)}


def test_sheets_by_urgency_concern_status_and_days(fy2024):
    assert values(fy2024.table("sheets_by_urgency"), "sheets") == {"緊急": 1, "早め": 3, "見守り": 1, "計": 5}
    concerns = {k: v for k, v in values(fy2024.table("sheets_by_concern"), "sheets").items() if v}
    assert concerns == {"生活費・借金": 1, "介護": 2, "ひきこもり": 1, "孤立": 2}
    # status on 2025-03-31: Sh3 was handed on only on 4/2, so it still counts as 受付
    assert values(fy2024.table("sheets_by_status"), "sheets") == {
        "受付": 2, "確認中": 0, "対応中": 0, "つないだ": 2, "見守り": 0, "終結": 1, "計": 5}
    # つないだ after 10, 30 and 4 days; 終結 after 60
    assert values(fy2024.table("sheet_days")) == {"つないだ": (3, 10.0, 14.7), "終結": (1, 60.0, 60.0)}


def test_referrals_by_agency_and_outcome(fy2024):
    table = fy2024.table("referrals")
    assert table.headers == ("関係機関", "確認中", "つながった", "つながらなかった", "本人が辞退", "その他", "計")
    assert values(table) == {
        "地域包括支援センター": (1, 1, 1, 0, 0, 3),
        "まいさぽ": (1, 0, 0, 0, 0, 1),
        "役場福祉課": (0, 1, 0, 0, 0, 1),  # the referral to 役場 of 2025-04-02 belongs to the next 年度
        "計": (2, 2, 1, 0, 0, 5),
    }


def test_conferences_by_type(fy2024):
    assert values(fy2024.table("conferences")) == {
        "支援会議": (2, 3), "重層的支援会議": (0, 0), "ケース検討会": (1, 1), "地域ケア会議": (1, 0), "計": (4, 4)}


def test_summary_compares_with_the_previous_year(fy2024):
    summary = fy2024.table("summary")
    assert summary.headers == ("項目", "令和6年度", "令和5年度", "増減")
    got = values(summary)
    assert got["訪問記録の延べ件数"] == (10, 2, 8)
    assert got["訪問記録のある世帯（実数）"] == (4, 2, 2)
    assert got["うち初めての世帯"] == (2, 2, 0)
    assert got["サロンの延べ参加者数"] == (15, 0, 15)
    assert got["会議の開催回数"] == (4, 1, 3)
    assert values(fy2024.previous_table("contacts_by_method"), "contacts")["電話"] == 1  # H3 on 2024-03-31
    assert values(fy2024.previous_table("conferences"))["重層的支援会議"] == (1, 1)


def test_fiscal_year_boundaries_31_march_and_1_april(store, data):
    fy2025 = stats.yearly_figures(store, 2025, today=TODAY)
    assert values(fy2025.table("contacts_by_method"), "contacts")["計"] == 1  # H5 on 2025-04-01
    assert values(fy2025.table("contacts_by_district"))["北地区"] == (1, 0, 0, 1, 1)
    assert values(fy2025.table("salons"))["川辺いきいきサロン"] == (1, 2, 1, 1, 1)
    assert values(fy2025.table("sheet_days"))["つないだ"] == (1, 13.0, 13.0)  # Sh3: 3/20 → 4/2
    march = stats.monthly_figures(store, 2025, 3, today=TODAY)
    april = stats.monthly_figures(store, 2025, 4, today=TODAY)
    assert march.period.label == "令和7年3月" and march.period.fiscal_year == 2024
    assert april.period.fiscal_year == 2025 and april.previous_period.label == "令和6年4月"
    assert values(march.table("contacts_by_method"), "contacts") == {
        "訪問": 1, "電話": 0, "来所": 0, "同行": 0, "立ち寄り": 0, "不在": 0, "計": 1}
    assert values(march.table("summary"))["訪問記録の延べ件数"] == (1, 1, 0)  # March 2024: H3 on the 31st
    assert values(april.table("summary"))["訪問記録の延べ件数"] == (1, 1, 0)  # April 2024: H1 on the 1st
    assert values(march.table("salons"), "sessions")["ひだまりサロン"] == 1


def test_fiscal_year_follows_the_councils_start_month(store, data):
    update_settings(store, fiscal_year_start_month=1)
    calendar = stats.yearly_figures(store, 2024, today=TODAY)
    assert calendar.period.start == D("2024-01-01") and calendar.period.last_day == D("2024-12-31")
    # 2024-03-31 (H3) is now inside, 2025-03-31 (H2) outside
    assert values(calendar.table("contacts_by_method"), "contacts")["電話"] == 3
    assert values(calendar.table("contacts_by_method"), "contacts")["訪問"] == 4


def test_a_district_and_its_hamlets(store, data):
    north = stats.yearly_figures(store, 2024, district_id=data.north, today=TODAY)
    assert north.district == "北地区"
    assert values(north.table("contacts_by_district")) == {
        "上村": (5, 1, 0, 2, 1), "下村": (2, 1, 0, 1, 0), "計": (7, 2, 0, 3, 1)}
    assert values(north.table("salons"), "attendances") == {"ひだまりサロン": 9, "計": 9}
    assert values(north.table("sheets_by_urgency"), "sheets")["計"] == 3  # Sh1, Sh2, Sh5; not the hint-only one
    assert values(north.table("conferences")) == {
        "支援会議": (1, 2), "重層的支援会議": (0, 0), "ケース検討会": (1, 1), "地域ケア会議": (0, 0), "計": (2, 3)}
    assert values(north.table("referrals"))["計"] == (2, 1, 1, 0, 0, 4)
    hamlet = stats.yearly_figures(store, 2024, district_id=data.shimomura, today=TODAY)
    assert hamlet.district == "北地区 › 下村"
    assert values(hamlet.table("contacts_by_district")) == {"下村": (2, 1, 0, 1, 0), "計": (2, 1, 0, 1, 0)}


def test_records_without_a_district_have_their_row(store, data):
    from shakyo_desk.store.services import contacts, places

    nowhere = places.add_place(store, "移動販売車", "その他", None)
    contacts.add_contact(store, place_id=nowhere, method="立ち寄り", contact_date=D("2024-12-24"))
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    assert values(figures.table("contacts_by_district"))["地区なし"] == (1, 0, 1, 0, 0)
    assert figures.table("contacts_by_district").total_row.values[0] == 11
    north = stats.yearly_figures(store, 2024, district_id=data.north, today=TODAY)
    assert "地区なし" not in values(north.table("contacts_by_district"))


def test_staff_see_only_their_districts(store, data):
    staff = login_as(store, "kita", "staff", [data.north])
    try:
        figures = stats.yearly_figures(staff, 2024, today=TODAY)
        assert not figures.raw_allowed and figures.scope_note
        assert values(figures.table("contacts_by_district")) == {"北地区": (7, 2, 0, 3, 1), "計": (7, 2, 0, 3, 1)}
        assert values(figures.table("salons"), "sessions") == {"ひだまりサロン": 3, "計": 3}
        assert values(figures.table("conferences"), "conferences")["計"] == 2
        hamlet = stats.yearly_figures(staff, 2024, district_id=data.kamimura, today=TODAY)
        assert values(hamlet.table("contacts_by_district"))["計"] == (5, 1, 0, 2, 1)
        with pytest.raises(PermissionDenied):
            stats.yearly_figures(staff, 2024, district_id=data.south, today=TODAY)
    finally:
        staff.close()


def test_staff_without_districts_and_reporters_are_refused(store, data):
    nobody = login_as(store, "nodistrict", "staff")
    reporter = login_as(store, "care", "reporter")
    try:
        with pytest.raises(PermissionDenied) as err:
            stats.yearly_figures(nobody, 2024, today=TODAY)
        assert "担当地区" in err.value.message
        with pytest.raises(PermissionDenied):
            stats.yearly_figures(reporter, 2024, today=TODAY)
    finally:
        nobody.close()
        reporter.close()


def test_coordinators_may_see_raw_counts(store, data):
    coordinator = login_as(store, "coord", "coordinator")
    try:
        assert stats.yearly_figures(coordinator, 2024, today=TODAY).raw_allowed
    finally:
        coordinator.close()


def test_removed_attendance_is_not_counted(store, data):
    [session] = [s for s in salons.list_sessions(store, data.salons["hidamari"]) if s.session_date == D("2024-06-01")]
    salons.update_attendance(store, session.id, [data.persons["H1"]])
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    assert values(figures.table("salons"))["ひだまりサロン"] == (3, 8, 5, 3, 3)  # B still came on 5/1


def test_inactive_salon_without_sessions_is_not_listed(store, data):
    closed = salons.add_salon(store, "休止中のサロン", data.kamimura)
    salons.update_salon(store, closed, active=False)
    open_one = salons.add_salon(store, "新しいサロン", data.kamimura)
    labels = values(stats.yearly_figures(store, 2024, today=TODAY).table("salons"))
    assert "休止中のサロン" not in labels and labels["新しいサロン"] == (0, 0, 0, 0, 0)
    assert open_one


def test_a_period_without_records_gives_zeros_and_a_note(store, data):
    figures = stats.yearly_figures(store, 2010, today=TODAY)
    assert figures.is_empty and stats.NO_DATA_NOTE in figures.notes
    assert values(figures.table("contacts_by_method"), "contacts")["計"] == 0
    assert values(figures.table("summary"))["訪問記録の延べ件数"] == (0, 0, 0)


def test_a_running_period_says_so(store, data):
    figures = stats.yearly_figures(store, 2025, today=D("2025-06-30"))
    assert figures.computed_until == D("2025-06-30")
    assert any("令和7年6月30日までの記録" in n for n in figures.notes)


@pytest.mark.parametrize("make, words", [
    (lambda: stats.fiscal_year_period(1800), "1800年度"),
    (lambda: stats.month_period(2025, 13), "13月"),
    (lambda: stats.parse_month("2025-13"), "13月"),
    (lambda: stats.parse_month("2025年4月"), "YYYY-MM"),
    (lambda: stats.parse_month("25-04"), "YYYY-MM"),
])
def test_impossible_periods_are_refused(make, words):
    with pytest.raises(InvalidInput) as err:
        make()
    assert words in err.value.message


def test_a_period_not_yet_begun_is_refused(store, data):
    with pytest.raises(InvalidInput) as err:
        stats.yearly_figures(store, 2026, today=TODAY)
    assert "令和8年度はまだ始まっていません" in err.value.message


def test_month_labels_follow_the_era():
    assert stats.parse_month("2019/4").label == "平成31年4月"
    assert stats.parse_month("2019-05").label == "令和元年5月"
    assert stats.month_period(2025, 12).end == D("2026-01-01")
    assert stats.month_period(2026, 2, start_month=4).fiscal_year == 2025


def test_fiscal_years_with_records_for_a_period_picker(store, data):
    assert stats.fiscal_years_with_records(store, today=TODAY) == [2025, 2024, 2023]  # first: 2023-10-01


def test_a_new_store_offers_the_running_year(store):
    assert stats.fiscal_years_with_records(store, today=TODAY) == [2025]
