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
