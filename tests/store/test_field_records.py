"""Issue 3 services: contacts, 見守り schedule, salons, sheets, referrals, timeline."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import (
    agencies, contacts, districts, households, places, referrals, salons, sheets, timeline, watch,
)
from tests.store.conftest import login_as

TODAY = date(2026, 4, 10)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    ids = {
        "upper": upper, "lower": lower,
        "haru": households.add_household(store, upper, "山田 ハル", "ヤマダ ハル", watch_interval_days=14),
        "kiyo": households.add_household(store, lower, "佐藤 キヨ", "サトウ キヨ", watch_interval_months=1),
        "none": households.add_household(store, upper, "鈴木 一郎", "スズキ イチロウ"),
        "agency": agencies.add_agency(store, "架空村地域包括支援センター", field="高齢"),
        "shop": places.add_place(store, "架空商店", "店", upper),
    }
    return ids


# ---- contacts ---------------------------------------------------------------------

def test_contact_defaults_and_fields(store, village):
    cid = contacts.add_contact(store, household_id=village["haru"], seen_heard="元気そう", concerns=["介護", "孤立"],
                               companions=["民生委員"], isolation="頼れる人がいる", today=TODAY)
    c = contacts.get_contact(store, cid)
    assert (c.contact_date, c.method, c.staff_id) == (TODAY, "訪問", store.actor.staff_id)
    assert c.concerns == ("介護", "孤立") and c.household_name == "山田 ハル" and c.district == "上町"


@pytest.mark.parametrize("fields, words", [
    ({"contact_date": TODAY + timedelta(days=1)}, "未来"),
    ({"contact_date": TODAY, "next_contact_date": TODAY - timedelta(days=1)}, "前"),
    ({"method": "手紙"}, "方法"),
    ({"concerns": ["存在しない分類"]}, "登録されていません"),
    ({"contact_time": "25:99"}, "時刻"),
])
def test_contact_bad_input_changes_nothing(store, village, fields, words):
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        contacts.add_contact(store, household_id=village["haru"], today=TODAY, **fields)
    assert words in err.value.message
    assert counts(store) == before


def test_contact_needs_exactly_one_of_household_or_place(store, village):
    with pytest.raises(InvalidInput):
        contacts.add_contact(store, today=TODAY)
    with pytest.raises(InvalidInput):
        contacts.add_contact(store, household_id=village["haru"], place_id=village["shop"], today=TODAY)
    assert contacts.add_contact(store, place_id=village["shop"], method="立ち寄り", today=TODAY)


def test_contact_for_a_household_deleted_meanwhile(store, village):
    with store.write() as w:  # another screen removed it
        from shakyo_desk.store.models import Household

        w.delete(Household, village["none"])
    before = counts(store)
    with pytest.raises(NotFound):
        contacts.add_contact(store, household_id=village["none"], today=TODAY)
    assert counts(store) == before


def test_contact_filters(store, village):
    contacts.add_contact(store, household_id=village["haru"], contact_date=TODAY - timedelta(days=40), concerns=["介護"], today=TODAY)
    contacts.add_contact(store, household_id=village["kiyo"], method="電話", contact_date=TODAY, today=TODAY)
    contacts.add_contact(store, household_id=village["haru"], method="不在", contact_date=TODAY, today=TODAY)
    assert len(contacts.list_contacts(store)) == 3
    assert len(contacts.list_contacts(store, district_id=village["lower"])) == 1
    assert len(contacts.list_contacts(store, method="不在")) == 1
    assert len(contacts.list_contacts(store, concern="介護")) == 1
    assert len(contacts.list_contacts(store, date_from=TODAY - timedelta(days=7))) == 2
    assert [c.contact_date for c in contacts.list_contacts(store)] == sorted(
        [c.contact_date for c in contacts.list_contacts(store)], reverse=True)


def test_a_contact_without_a_time_is_ordered_by_when_it_was_recorded(store, village, pinned_clock):
    """Issue 17: a visit saved without a time went under every timed visit of its day, so the
    clerk did not see what they had just saved. The day, then the time typed or else the moment
    it was recorded (Japan time), newest first."""
    from datetime import datetime, timezone

    jst = timezone(timedelta(hours=9))
    pinned_clock.moment = datetime(2026, 4, 10, 10, 0, tzinfo=jst)
    today = pinned_clock.today()
    early = contacts.add_contact(store, household_id=village["haru"], contact_time="09:30", today=today)
    late = contacts.add_contact(store, household_id=village["kiyo"], contact_time="16:00", today=today)
    yesterday = contacts.add_contact(store, household_id=village["none"], contact_date=today - timedelta(days=1),
                                     today=today)
    pinned_clock.advance(minutes=5)  # 10:05: recorded now, no time typed
    untimed = contacts.add_contact(store, household_id=village["haru"], today=today)
    pinned_clock.advance(minutes=1)
    untimed_later = contacts.add_contact(store, household_id=village["none"], today=today)
    assert [c.id for c in contacts.list_contacts(store)] == [late, untimed_later, untimed, early, yesterday]
    assert [c.id for c in contacts.list_contacts(store, limit=2)] == [late, untimed_later]


def test_the_newest_contacts_are_read_through_the_order_index(store, village):
    """The 訪問記録 page's query walks ix_contact_order and stops after the page (no sort of
    every contact: 483 ms on large-town, docs/performance.md)."""
    from shakyo_desk.store.models import Contact

    query = contacts._visible(store, contacts._query()).order_by(*contacts.NEWEST_FIRST).limit(500)
    with store.read() as s:
        sql = str(query.compile(s.bind, compile_kwargs={"literal_binds": True}))
        plan = " / ".join(row[-1] for row in s.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
        indexes = {row[0]: row[1] for row in s.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"), {"t": Contact.__tablename__})}
    assert "USING INDEX ix_contact_order" in plan and "TEMP B-TREE" not in plan, plan
    assert "strftime" in indexes["ix_contact_order"]  # the migration's expression, not the old three columns
    assert check_store(store).sound


def test_staff_contacts_follow_their_districts(store, village):
    contacts.add_contact(store, household_id=village["kiyo"], today=TODAY)
    staff = login_as(store, "staff1", Role.STAFF, [village["upper"]])
    assert contacts.list_contacts(staff) == []
    contacts.add_contact(staff, household_id=village["haru"], today=TODAY)
    with pytest.raises(PermissionDenied):
        contacts.add_contact(staff, household_id=village["kiyo"], today=TODAY)
    assert [c.household_name for c in contacts.list_contacts(staff)] == ["山田 ハル"]
    reporter = login_as(store, "care1", Role.REPORTER)
    with pytest.raises(PermissionDenied):
        contacts.add_contact(reporter, household_id=village["haru"], today=TODAY)
    staff.close(), reporter.close()


# ---- 見守り schedule ----------------------------------------------------------------

def test_due_list_uses_intervals_planned_dates_and_ignores_failed_attempts(store, village):
    contacts.add_contact(store, household_id=village["haru"], contact_date=date(2026, 3, 20), today=TODAY)
    contacts.add_contact(store, household_id=village["haru"], method="不在", contact_date=date(2026, 4, 5), today=TODAY)
    contacts.add_contact(store, household_id=village["kiyo"], contact_date=date(2026, 3, 31), today=TODAY)
    contacts.add_contact(store, household_id=village["none"], contact_date=date(2026, 4, 1),
                         next_contact_date=date(2026, 4, 8), next_action="薬の飲み忘れを確認", today=TODAY)
    due = {d.head_name: d for d in watch.due_list(store, until=TODAY)}
    assert set(due) == {"山田 ハル", "鈴木 一郎"}  # 佐藤: 3/31 + 1 month = 4/30, not yet
    haru = due["山田 ハル"]
    assert haru.due == date(2026, 4, 3)  # 14 days after the last successful visit, across 年度
    assert haru.last_contact == date(2026, 3, 20) and haru.last_attempt == date(2026, 4, 5)
    assert haru.overdue_days(TODAY) == 7
    assert due["鈴木 一郎"].next_action == "薬の飲み忘れを確認"
    assert [d.head_name for d in watch.due_list(store, until=date(2026, 4, 30))][-1] == "佐藤 キヨ"
    assert [d.head_name for d in watch.due_list(store, until=TODAY)][0] == "山田 ハル"  # most overdue first


# ---- salons -------------------------------------------------------------------------

def test_session_counts_newcomers_and_remarks(store, village):
    salon = salons.add_salon(store, "上町いきいきサロン", village["upper"], fee_yen=100)
    members = [households.get_household(store, village[k], log=False).members[0].id for k in ("haru", "none")]
    salons.set_regulars(store, salon, members)
    session = salons.record_session(store, salon, TODAY, attendee_ids=members[:1], unnamed_count=4,
                                    newcomers=[{"name": "新井 トメ", "kana": "アライ トメ"}],
                                    remarks=["最近、夜眠れないと言っていた"], today=TODAY)
    info = salons.get_session(store, session)
    assert info.total == 6 and len(info.attendee_ids) == 2 and len(info.remarks) == 1
    assert len(salons.regulars(store, salon)) == 3  # the newcomer became a regular
    newcomer = households.list_households(store, "あらい")[0]
    assert newcomer.district == "上町"
    assert households.get_household(store, newcomer.id, log=False).notes == "サロン「上町いきいきサロン」で令和8年4月10日に初参加"
    salons.record_session(store, salon, TODAY - timedelta(days=14), attendee_ids=members, today=TODAY)
    counted = salons.attendance_counts(store, TODAY - timedelta(days=30), TODAY, salon)
    assert counted == {"sessions": 2, "total_attendances": 8, "named_attendances": 4, "distinct_persons": 3}


def test_session_in_the_future_or_bad_count_changes_nothing(store, village):
    salon = salons.add_salon(store, "上町サロン", village["upper"])
    before = counts(store)
    with pytest.raises(InvalidInput):
        salons.record_session(store, salon, TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(InvalidInput):
        salons.record_session(store, salon, TODAY, unnamed_count=-1, newcomers=[{"name": "新人"}], today=TODAY)
    assert counts(store) == before


def test_not_seen_lately(store, village):
    salon = salons.add_salon(store, "上町サロン", village["upper"])
    haru, ichiro = [households.get_household(store, village[k], log=False).members[0].id for k in ("haru", "none")]
    salons.set_regulars(store, salon, [haru, ichiro])
    salons.record_session(store, salon, date(2026, 1, 10), attendee_ids=[haru, ichiro], today=TODAY)
    for day in (date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 10)):
        salons.record_session(store, salon, day, attendee_ids=[haru], today=TODAY)
    missing = salons.not_seen_lately(store, salon, sessions=3)
    assert [(r.name, last) for r, last in missing] == [("鈴木 一郎", date(2026, 1, 10))]
    assert salons.not_seen_lately(store, salon, sessions=5) == []  # not enough sessions to say
    reporter = login_as(store, "care1", Role.REPORTER)
    with pytest.raises(PermissionDenied):
        salons.not_seen_lately(reporter, salon)
    reporter.close()


# ---- sheets -------------------------------------------------------------------------

def test_reporter_files_without_household_and_sees_only_own(store, village):
    reporter = login_as(store, "care1", Role.REPORTER)
    mine = sheets.file_sheet(reporter, household_hint="上町の坂の上の家", concerns=["孤立"], urgency="早め",
                             situation="介護の訪問先の隣家。雨戸が閉まったまま", today=TODAY)
    sheets.file_sheet(store, household_id=village["haru"], concerns=["介護"], today=TODAY)
    assert [s.id for s in sheets.list_sheets(reporter)] == [mine]
    with pytest.raises(NotFound):
        sheets.get_sheet(reporter, sheets.list_sheets(store)[0].id if sheets.list_sheets(store)[0].id != mine
                         else sheets.list_sheets(store)[1].id)
    with pytest.raises(PermissionDenied):
        sheets.inbox(reporter)
    assert sheets.list_sheets(reporter)[0].status == "提出済み"  # in the drop box (issue 16)
    from shakyo_desk.store.services.drops import open_drop_box

    assert open_drop_box(store).filed == [mine]
    assert sheets.get_sheet(store, mine).section == ""  # reporter without a section
    reporter.close()


def test_sheet_needs_concern_and_some_household(store, village):
    before = counts(store)
    with pytest.raises(InvalidInput):
        sheets.file_sheet(store, household_hint="どこか", concerns=[], today=TODAY)
    with pytest.raises(InvalidInput):
        sheets.file_sheet(store, concerns=["孤立"], today=TODAY)
    with pytest.raises(InvalidInput):
        sheets.file_sheet(store, household_hint="x", concerns=["孤立"], noticed_on=TODAY + timedelta(days=1), today=TODAY)
    assert counts(store) == before


def test_inbox_orders_by_urgency_then_age(store, village):
    a = sheets.file_sheet(store, household_hint="A", concerns=["孤立"], urgency="見守り", noticed_on=TODAY - timedelta(days=30), today=TODAY)
    b = sheets.file_sheet(store, household_hint="B", concerns=["孤立"], urgency="緊急", noticed_on=TODAY, today=TODAY)
    c = sheets.file_sheet(store, household_hint="C", concerns=["孤立"], urgency="早め", noticed_on=TODAY - timedelta(days=3), today=TODAY)
    d = sheets.file_sheet(store, household_hint="D", concerns=["孤立"], urgency="早め", noticed_on=TODAY - timedelta(days=10), today=TODAY)
    closed = sheets.file_sheet(store, household_hint="E", concerns=["孤立"], urgency="緊急", today=TODAY)
    sheets.change_status(store, closed, "終結", today=TODAY)
    assert [s.id for s in sheets.inbox(store)] == [b, d, c, a]


def test_status_workflow_is_dated_attributed_and_reopenable(store, village):
    sheet = sheets.file_sheet(store, household_id=village["haru"], concerns=["介護"], noticed_on=date(2026, 3, 30), today=TODAY)
    with pytest.raises(InvalidInput):
        sheets.change_status(store, sheet, "つないだ", today=TODAY)  # needs the agency
    sheets.change_status(store, sheet, "確認中", changed_on=date(2026, 3, 31), today=TODAY)
    sheets.change_status(store, sheet, "つないだ", agency_id=village["agency"], changed_on=date(2026, 4, 2), today=TODAY)
    sheets.change_status(store, sheet, "終結", note="介護保険サービス開始", today=TODAY)
    with pytest.raises(InvalidInput):
        sheets.change_status(store, sheet, "対応中", today=TODAY)  # from 終結 only reopening
    sheets.change_status(store, sheet, "確認中", note="再び相談", today=TODAY)
    info = sheets.get_sheet(store, sheet)
    assert info.status == "確認中"
    assert [(h.status, h.changed_on, h.agency) for h in info.history] == [
        ("受付", date(2026, 3, 30), ""), ("確認中", date(2026, 3, 31), ""),
        ("つないだ", date(2026, 4, 2), "架空村地域包括支援センター"), ("終結", TODAY, ""), ("確認中", TODAY, "")]
    assert all(h.by == "管理 太郎" for h in info.history)
    handed_on = referrals.list_referrals(store, sheet_id=sheet)  # つないだ is recorded as a referral too
    assert [(r.agency, r.referred_on, r.follow_up_on, r.household_id) for r in handed_on] == [
        ("架空村地域包括支援センター", date(2026, 4, 2), date(2026, 4, 16), village["haru"])]
    with pytest.raises(InvalidInput):
        sheets.change_status(store, sheet, "対応中", changed_on=date(2026, 3, 1), today=TODAY)  # before noticed
    with pytest.raises(InvalidInput):
        sheets.change_status(store, sheet, "対応中", changed_on=date(2026, 4, 1), today=TODAY)  # before the last change


def test_sheet_linked_or_household_created(store, village):
    sheet = sheets.file_sheet(store, household_hint="下町の新しい方", concerns=["住まい"], today=TODAY)
    household = sheets.create_household_from_sheet(store, sheet, village["lower"], "新井 一", "アライ ハジメ")
    assert sheets.get_sheet(store, sheet).household_id == household
    with pytest.raises(InvalidInput):
        sheets.create_household_from_sheet(store, sheet, village["lower"], "二重 登録")
    other = sheets.file_sheet(store, household_hint="山田さん", concerns=["介護"], today=TODAY)
    sheets.link_household(store, other, village["haru"])
    assert sheets.get_sheet(store, other).household_name == "山田 ハル"


def test_remark_and_contact_become_sheets(store, village):
    salon = salons.add_salon(store, "上町サロン", village["upper"])
    haru = households.get_household(store, village["haru"], log=False).members[0].id
    session = salons.record_session(store, salon, TODAY, attendee_ids=[haru],
                                    remarks=[{"text": "最近、物忘れがひどいと話していた", "person_id": haru}], today=TODAY)
    remark_id = salons.get_session(store, session).remarks[0][0]
    prefill = sheets.sheet_from_remark(store, remark_id)
    assert prefill["household_id"] == village["haru"] and prefill["situation"].startswith("最近、物忘れ")
    sheet = sheets.file_sheet(store, concerns=["認知症"], today=TODAY, **prefill)
    assert salons.get_session(store, session).remarks[0][2] == sheet
    contact = contacts.add_contact(store, household_id=village["kiyo"], seen_heard="電気が止まっていた",
                                   concerns=["生活費・借金"], urgency="緊急", today=TODAY)
    prefill = sheets.sheet_from_contact(store, contact)
    assert (prefill["household_id"], prefill["urgency"], prefill["concerns"]) == (village["kiyo"], "緊急", ["生活費・借金"])
    assert sheets.get_sheet(store, sheets.file_sheet(store, today=TODAY, **prefill)).situation == "電気が止まっていた"


# ---- referrals and timeline -----------------------------------------------------------

def test_referral_follow_ups(store, village):
    due = referrals.add_referral(store, village["agency"], "介護保険の申請", household_id=village["haru"],
                                 referred_on=date(2026, 3, 1), follow_up_on=date(2026, 4, 1), today=TODAY)
    referrals.add_referral(store, village["agency"], "配食", household_id=village["kiyo"],
                           referred_on=date(2026, 4, 1), follow_up_on=date(2026, 5, 1), today=TODAY)
    assert [r.id for r in referrals.overdue_follow_ups(store, TODAY)] == [due]
    with pytest.raises(InvalidInput):
        referrals.record_outcome(store, due, "つながった", follow_up_on=date(2026, 2, 1))
    referrals.record_outcome(store, due, "つながった", "4/5 認定調査")
    assert referrals.overdue_follow_ups(store, TODAY) == []
    with pytest.raises(InvalidInput):
        referrals.add_referral(store, village["agency"], "x", household_id=village["haru"], referred_on=TODAY,
                               follow_up_on=TODAY - timedelta(days=1), today=TODAY)


def test_timeline_gathers_everything_newest_first(store, village):
    haru = households.get_household(store, village["haru"], log=False).members[0].id
    contacts.add_contact(store, household_id=village["haru"], contact_date=date(2026, 3, 1), seen_heard="元気", today=TODAY)
    salon = salons.add_salon(store, "上町サロン", village["upper"])
    salons.record_session(store, salon, date(2026, 3, 15), attendee_ids=[haru], today=TODAY)
    sheet = sheets.file_sheet(store, household_id=village["haru"], concerns=["介護"], noticed_on=date(2026, 3, 20), today=TODAY)
    sheets.change_status(store, sheet, "確認中", changed_on=date(2026, 3, 25), today=TODAY)
    referrals.add_referral(store, village["agency"], "申請支援", household_id=village["haru"], referred_on=date(2026, 4, 1), today=TODAY)
    entries = timeline.household_timeline(store, village["haru"])
    assert [e.kind for e in entries] == ["referral", "status", "sheet", "attendance", "contact"]
    assert [e.on for e in entries] == sorted((e.on for e in entries), reverse=True)
    only = timeline.household_timeline(store, village["haru"], kinds={"contact", "attendance"})
    assert {e.kind for e in only} == {"contact", "attendance"}
    assert timeline.household_timeline(store, village["haru"], date_from=date(2026, 3, 21))[-1].kind == "status"
    staff = login_as(store, "staff1", Role.STAFF, [village["lower"]])
    with pytest.raises(PermissionDenied):
        timeline.household_timeline(staff, village["haru"])
    staff.close()
    assert check_store(store).sound


def test_district_filters_include_subdistricts(store):
    area = districts.add_district(store, "北地区")
    hamlet = districts.add_district(store, "奥沢", parent_id=area)
    household = households.add_household(store, hamlet, "奥沢 住人", watch_interval_days=7)
    contacts.add_contact(store, household_id=household, contact_date=TODAY - timedelta(days=30), today=TODAY)
    assert [h.id for h in households.list_households(store, district_id=area)] == [household]
    assert len(contacts.list_contacts(store, district_id=area)) == 1
    assert [d.household_id for d in watch.due_list(store, TODAY, district_id=area)] == [household]
    assert households.list_households(store, district_id=districts.add_district(store, "南地区")) == []
