"""本人同意 (issue 5): recording, withdrawal, coverage by meeting type and date, rights."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog, Consent
from shakyo_desk.store.services import consents, districts, households
from shakyo_desk.store.services.consents import ConsentInfo, covers, parse_scope
from tests.store.conftest import login_as

TODAY = date(2026, 4, 10)


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (ChangeLog, AuditLog, Consent))


@pytest.fixture
def family(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    home = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル")
    son = households.add_person(store, home, "山田 一郎", relation="子")
    other = households.add_household(store, lower, "佐藤 キヨ")
    head = households.get_household(store, home, log=False).members[0].id
    return {"upper": upper, "lower": lower, "home": home, "head": head, "son": son, "other": other}


def info(given_on, types=("multi-agency",), withdrawn_on=None) -> ConsentInfo:
    return ConsentInfo("c", "p", "山田 ハル", "h", given_on, tuple(types), (), "書面", None, "", withdrawn_on, "", None)


def test_covers_by_type_and_day():
    day = date(2026, 5, 1)
    given = info(date(2026, 4, 1))
    assert covers(given, "multi-agency", day)
    assert covers(given, "multi-agency", date(2026, 4, 1))  # given on the meeting day
    assert not covers(given, "support", day)  # another meeting type
    assert not covers(info(date(2026, 5, 2)), "multi-agency", day)  # given after the meeting
    withdrawn = info(date(2026, 4, 1), withdrawn_on=date(2026, 4, 20))
    assert not covers(withdrawn, "multi-agency", day)  # withdrawn before: none
    assert not covers(info(date(2026, 4, 1), withdrawn_on=day), "multi-agency", day)  # withdrawn that day: none
    assert covers(withdrawn, "multi-agency", date(2026, 4, 19))  # a meeting before the withdrawal was covered


def test_scope_words():
    assert parse_scope("all") == ["support", "multi-agency", "case-review", "community-care"]
    assert parse_scope(["case-review,support"]) == ["support", "case-review"]
    assert parse_scope(["重層的支援会議", "multi-agency"]) == ["multi-agency"]
    assert parse_scope("支援会議、ケース検討会") == ["support", "case-review"]
    with pytest.raises(InvalidInput) as err:
        parse_scope("everything")
    assert "everything" in err.value.message and "multi-agency" in err.value.message
    with pytest.raises(InvalidInput):
        parse_scope([" ", ""])


def test_add_withdraw_and_list(store, family):
    first = consents.add_consent(store, family["head"], ["multi-agency", "support"], agencies=["地域包括", "地域包括", "役場"],
                                 method="口頭", given_on=date(2026, 3, 1), note="長男同席", today=TODAY)
    consents.add_consent(store, family["son"], "all", given_on=date(2026, 4, 1), today=TODAY)
    [mine] = consents.consents_of(store, family["head"])
    assert mine.id == first and mine.meeting_types == ("support", "multi-agency")
    assert mine.agencies == ("地域包括", "役場") and mine.method == "口頭" and mine.recorded_by_name == "管理 太郎"
    assert mine.meeting_type_labels == ("支援会議", "重層的支援会議")
    assert "共有先：地域包括、役場" in mine.summary
    assert [c.person_name for c in consents.consents_of_household(store, family["home"])] == ["山田 一郎", "山田 ハル"]

    consents.withdraw_consent(store, first, date(2026, 4, 5), today=TODAY)
    [withdrawn] = consents.consents_of(store, family["head"])
    assert withdrawn.withdrawn_on == date(2026, 4, 5)
    assert not covers(withdrawn, "multi-agency", TODAY) and covers(withdrawn, "multi-agency", date(2026, 4, 4))
    with pytest.raises(InvalidInput):
        consents.withdraw_consent(store, first, today=TODAY)  # already withdrawn

    # The household screen gets each member's consents.
    members = households.get_household(store, family["home"], log=False).members
    assert [len(p.consents) for p in members] == [1, 1]
    assert members[0].consents[0].withdrawn_on == date(2026, 4, 5)
    assert check_store(store).sound


def test_bad_input_changes_nothing(store, family):
    before = counts(store)
    for kwargs, words in (
        ({"meeting_types": []}, "1つ以上"),
        ({"meeting_types": ["party"]}, "party"),
        ({"meeting_types": ["support"], "given_on": TODAY + timedelta(days=1)}, "未来"),
        ({"meeting_types": ["support"], "given_on": "2026/4/1"}, "YYYY-MM-DD"),
        ({"meeting_types": ["support"], "method": "メール"}, "書面"),
        ({"meeting_types": ["support"], "agencies": ["あ" * 201]}, "200文字"),
    ):
        with pytest.raises(InvalidInput) as err:
            consents.add_consent(store, family["head"], today=TODAY, **kwargs)
        assert words in err.value.message
    with pytest.raises(NotFound):
        consents.add_consent(store, "no-such-person", ["support"], today=TODAY)
    consent = consents.add_consent(store, family["head"], ["support"], given_on=date(2026, 4, 1), today=TODAY)
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        consents.withdraw_consent(store, consent, date(2026, 3, 1), today=TODAY)
    assert "同意を得た日より前" in err.value.message
    with pytest.raises(InvalidInput):
        consents.withdraw_consent(store, consent, TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(NotFound):
        consents.withdraw_consent(store, "no-such-consent", today=TODAY)
    assert counts(store) == before


def test_rights(store, family):
    staff = login_as(store, "staff1", Role.STAFF, [family["upper"]])
    reporter = login_as(store, "care1", Role.REPORTER)
    try:
        mine = consents.add_consent(staff, family["head"], ["multi-agency"], today=TODAY)
        assert [c.id for c in consents.consents_of(staff, family["head"])] == [mine]
        theirs = households.get_household(store, family["other"], log=False).members[0].id
        with pytest.raises(PermissionDenied):
            consents.add_consent(staff, theirs, ["multi-agency"], today=TODAY)
        with pytest.raises(PermissionDenied):
            consents.consents_of_household(staff, family["other"])
        with pytest.raises(PermissionDenied):
            consents.remove_consent(staff, mine)  # a mistaken record is removed by a coordinator
        # A reporter's session holds no data key at all (issue 16): it is refused before any right is weighed.
        with pytest.raises((PermissionDenied, StoreError)):
            consents.add_consent(reporter, family["head"], ["multi-agency"], today=TODAY)
        with pytest.raises((PermissionDenied, StoreError)):
            consents.consents_of(reporter, family["head"])
        consents.remove_consent(store, mine)
        assert consents.consents_of(store, family["head"]) == []
    finally:
        staff.close()
        reporter.close()
