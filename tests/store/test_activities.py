"""Issue 19: 地域活動 with the 地域課題 they show, and the register's status, response and evidence."""

from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import activities, community_issues, districts
from tests.store.conftest import login_as

DAY = date(2026, 6, 1)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def towns(store):
    return {"upper": districts.add_district(store, "上町"), "lower": districts.add_district(store, "下町")}


def test_an_activity_shows_an_issue(store, towns):
    issue = community_issues.add_issue(store, "買い物の足がない", district_id=towns["upper"], today=DAY)
    activity = activities.add_activity(store, "地域懇談会", DAY, "上町 地域懇談会", district_id=towns["upper"],
                                       participants=18, organisations=["自治会", "民生委員協議会", "自治会"],
                                       raised="移動販売が欲しい", issue_ids=[issue], today=DAY)
    [info] = activities.list_activities(store)
    assert (info.id, info.participants, info.organisations, info.issue_ids) == (
        activity, 18, ("自治会", "民生委員協議会"), (issue,))
    community_issues.set_status(store, issue, "検討中", response="協議体で移動販売を検討する")
    [entry] = community_issues.list_issues(store)
    assert (entry.status, entry.response, entry.activity_count, entry.resource_count, entry.case_count) == (
        "検討中", "協議体で移動販売を検討する", 1, 0, 0)
    assert check_store(store).sound


def test_bad_activities_are_refused(store, towns):
    before = counts(store)
    for words, action in (
        ("未来", lambda: activities.add_activity(store, "学習会", date(2026, 6, 2), "学習会", today=DAY)),
        ("活動の種類", lambda: activities.add_activity(store, "宴会", DAY, "宴会", today=DAY)),
        ("参加者数", lambda: activities.add_activity(store, "学習会", DAY, "学習会", participants=-3, today=DAY)),
        ("地域課題", lambda: activities.add_activity(store, "学習会", DAY, "学習会", issue_ids=["nope"], today=DAY)),
        ("状況", lambda: community_issues.add_issue(store, "課題", status="放置", today=DAY)),
    ):
        with pytest.raises((InvalidInput, NotFound)) as error:
            action()
        assert words in error.value.message
    assert counts(store) == before
    upper = login_as(store, "upper", "staff", [towns["upper"]])
    try:
        activities.add_activity(upper, "出張相談", DAY, "上町 出張相談", district_id=towns["upper"], today=DAY)
        before = counts(store)
        with pytest.raises(PermissionDenied):
            activities.add_activity(upper, "出張相談", DAY, "下町 出張相談", district_id=towns["lower"], today=DAY)
        with pytest.raises(PermissionDenied):
            community_issues.add_issue(upper, "課題", today=DAY)
        assert counts(store) == before
        assert [a.title for a in activities.list_activities(upper)] == ["上町 出張相談"]
    finally:
        upper.close()


def test_an_activity_edited_and_its_issues_replaced(store, towns):
    old = community_issues.add_issue(store, "雪かきの担い手がいない", today=DAY)
    activity = activities.add_activity(store, "学習会", DAY, "上町 学習会", district_id=towns["upper"],
                                       issue_ids=[old], new_issues=["買い物の足がない", "買い物の足がない"], today=DAY)
    [info] = activities.list_activities(store)
    assert len(info.issue_ids) == 2
    raised = {i.title: i for i in community_issues.list_issues(store)}
    assert raised["買い物の足がない"].district_id == towns["upper"] and raised["買い物の足がない"].status == "把握"
    activities.update_activity(store, activity, "地域懇談会", date(2026, 5, 20), "上町 地域懇談会",
                               district_id=towns["upper"], participants=12, raised="バスが減った",
                               issue_ids=[raised["買い物の足がない"].id], new_issues=["雪かきの担い手がいない"], today=DAY)
    [info] = activities.list_activities(store)
    assert (info.activity_type, info.held_on, info.participants, info.raised) == (
        "地域懇談会", date(2026, 5, 20), 12, "バスが減った")
    assert set(info.issue_ids) == {old, raised["買い物の足がない"].id}  # a typed title already there is reused
    activities.update_activity(store, activity, "地域懇談会", date(2026, 5, 20), "上町 地域懇談会",
                               district_id=towns["upper"], issue_ids=[old], today=DAY)
    [info] = activities.list_activities(store)
    assert info.issue_ids == (old,)
    counts_now = {i.title: i.activity_count for i in community_issues.list_issues(store)}
    assert counts_now == {"雪かきの担い手がいない": 1, "買い物の足がない": 0}
    assert check_store(store).sound


def test_activities_by_district_with_its_hamlets_and_by_fiscal_year(store, towns):
    hamlet = districts.add_district(store, "上町一区", parent_id=towns["upper"])
    activities.add_activity(store, "サロン立ち上げ", date(2026, 3, 31), "一区サロン", district_id=hamlet, today=DAY)
    activities.add_activity(store, "協議体", date(2026, 4, 1), "第2層協議体", district_id=towns["upper"], today=DAY)
    activities.add_activity(store, "出張相談", date(2026, 4, 2), "下町 出張相談", district_id=towns["lower"], today=DAY)
    assert [a.title for a in activities.list_activities(store, towns["upper"])] == ["第2層協議体", "一区サロン"]
    assert [a.title for a in activities.list_activities(store, fiscal_year=2025)] == ["一区サロン"]
    assert [a.title for a in activities.list_activities(store, towns["upper"], fiscal_year=2026)] == ["第2層協議体"]


def test_a_staff_member_picks_issues_but_may_not_raise_new_ones(store, towns):
    issue = community_issues.add_issue(store, "買い物の足がない", today=DAY)
    upper = login_as(store, "upper2", "staff", [towns["upper"]])
    try:
        before = counts(store)
        with pytest.raises(InvalidInput) as error:
            activities.add_activity(upper, "出張相談", DAY, "上町 出張相談", district_id=towns["upper"],
                                    new_issues=["若者の居場所がない"], today=DAY)
        assert "コーディネーターか管理者" in error.value.message and counts(store) == before
        activity = activities.add_activity(upper, "出張相談", DAY, "上町 出張相談", district_id=towns["upper"],
                                           new_issues=["買い物の足がない"], today=DAY)  # already in the register
        assert activities.list_activities(upper)[0].issue_ids == (issue,)
        other = activities.add_activity(store, "学習会", DAY, "下町 学習会", district_id=towns["lower"], today=DAY)
        before = counts(store)
        with pytest.raises(PermissionDenied):
            activities.update_activity(upper, other, "学習会", DAY, "下町 学習会", district_id=towns["upper"], today=DAY)
        with pytest.raises(InvalidInput):
            activities.update_activity(upper, activity, "学習会", DAY, "", district_id=towns["upper"], today=DAY)
        assert counts(store) == before
    finally:
        upper.close()
