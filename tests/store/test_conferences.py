"""Case conferences (issue 5): validations, outcome, disclosures, consent gate data, the
handout register, timeline and follow-ups, rights, and what sync carries."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange.scope import scope_records
from shakyo_desk.store.models import AuditLog, ChangeLog, Conference, ConferenceCase, ConferenceMember, HandoutCopy
from shakyo_desk.store.services import (
    conference_consent, conferences, consents, council, districts, handout_register, households, timeline, watch,
)
from shakyo_desk.store.services.conferences import MemberDraft, RoleAssignment
from tests.store.conference_drafts import draft_of, edit_conference
from tests.store.conftest import login_as
from tests.sync.council import carry, enrol, make_office
from shakyo_desk.domain import clock

TODAY = clock.today()
DAY = TODAY - timedelta(days=20)  # the meeting


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (ChangeLog, AuditLog, Conference, ConferenceMember, ConferenceCase, HandoutCopy))


def audits(store, action):
    with store.read() as s:
        return s.execute(sa.select(AuditLog.entity_id, AuditLog.detail).where(AuditLog.action == action)
                         .order_by(AuditLog.id)).all()


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    yamada = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル", person={"birth_date": date(1940, 5, 1)})
    son = households.add_person(store, yamada, "山田 一郎", relation="子", birth_date=date(1975, 1, 1))
    grandchild = households.add_person(store, yamada, "山田 小太郎", relation="孫", birth_date=TODAY - timedelta(days=365 * 10))
    sato = households.add_household(store, lower, "佐藤 キヨ", "サトウ キヨ")
    head = households.get_household(store, yamada, log=False).members[0].id
    kiyo = households.get_household(store, sato, log=False).members[0].id
    return {"upper": upper, "lower": lower, "yamada": yamada, "sato": sato, "head": head, "son": son,
            "grandchild": grandchild, "kiyo": kiyo}


def meeting(store, village, meeting_type="support", **kwargs):
    options = dict(members=["田中 太郎/みどり村地域包括支援センター", ("鈴木 花子", "みどり村役場 住民福祉課", DAY)],
                   cases=[(village["yamada"], "8050の世帯をどう支えるか"), {"household_id": village["sato"]}],
                   place="みどり村役場 2階会議室", convenor="みどり村社協", agenda="見守りの分担", today=TODAY)
    options.update(kwargs)
    return conferences.add_conference(store, meeting_type, DAY, **options)


# ---- recording and validation -------------------------------------------------------------

def test_a_conference_with_members_cases_and_outcome(store, village):
    conference_id = meeting(store, village, start_time="14:00", end_time="15:30", title="令和8年度 第1回 支援会議")
    c = conferences.get_conference(store, conference_id)
    assert (c.meeting_type, c.type_label) == ("support", "支援会議")
    assert (c.legal_basis, c.legal_basis_label) == ("social-welfare-act-106-6", "社会福祉法第106条の6")
    assert c.is_support_conference and not c.needs_consent and c.time_text == "14:00〜15:30"
    assert [m.label for m in c.members] == ["田中 太郎（みどり村地域包括支援センター）", "鈴木 花子（みどり村役場 住民福祉課）"]
    assert [m.acknowledged for m in c.members] == [False, True]
    assert [(k.head_name, k.question) for k in c.cases] == [("山田 ハル", "8050の世帯をどう支えるか"), ("佐藤 キヨ", "")]
    assert c.cases[0].household_code.startswith("H-") and c.cases[0].district == "上町"
    assert audits(store, "conference.view")[-1][0] == conference_id

    review = DAY + timedelta(days=60)
    c = edit_conference(store, conference_id, minutes="長男の就労相談を先に進める。", today=TODAY, case_changes={
        c.cases[0].id: {"support_policy": "世帯全体を見守り、長男を相談窓口につなぐ", "lead_agency": "みどり村社協",
                        "roles": ({"agency": "地域包括", "role": "母の介護保険の申請"}, ("まいさぽ", "長男の就労相談")),
                        "next_review_on": review}})
    assert c.minutes == "長男の就労相談を先に進める。"
    assert c.cases[0].roles == (RoleAssignment("地域包括", "母の介護保険の申請"), RoleAssignment("まいさぽ", "長男の就労相談"))
    assert c.cases[0].next_review_on == review and c.cases[1].support_policy == ""
    [row, *_] = conferences.list_conferences(store)
    assert (row.id, row.case_count, row.member_count, row.unacknowledged_count) == (conference_id, 2, 2, 1)
    assert row.display_title == "令和8年度 第1回 支援会議"
    assert [r.id for r in conferences.list_conferences(store, household_id=village["sato"])] == [conference_id]
    assert conferences.list_conferences(store, meeting_type="重層的支援会議") == []
    assert check_store(store).sound


@pytest.mark.parametrize("kwargs, words", [
    ({"members": []}, "構成員（出席者）を1人以上"),
    ({"members": ["/地域包括"]}, "構成員の氏名を入力"),
    ({"members": ["田中/包括", "田中/包括"]}, "2回入力"),
    ({"cases": []}, "世帯（ケース）を1つ以上"),
    ({"cases": [("", "question")]}, "ケースの世帯が選ばれていません"),
    ({"cases": ["no-such-household"]}, "見つかりません"),
    ({"held_on": TODAY - timedelta(days=400)}, "1年以上前"),
    ({"held_on": TODAY + timedelta(days=400)}, "1年以上先"),
    ({"held_on": None}, "会議の日を入力"),
    ({"meeting_type": "party"}, "会議の種類「party」"),
    ({"meeting_type": "case-review", "legal_basis": "social-welfare-act-106-6"}, "支援会議のときだけ"),
    ({"legal_basis": "民法"}, "根拠法「民法」"),
    ({"start_time": "14:00", "end_time": "13:00"}, "終了時刻が開始時刻より前"),
    ({"start_time": "2pm"}, "14:30 のように"),
])
def test_bad_input_is_refused_and_changes_nothing(store, village, kwargs, words):
    before = counts(store)
    options = {"meeting_type": "support", "held_on": DAY, "members": ["田中 太郎/地域包括"],
               "cases": [village["yamada"]], "today": TODAY}
    cases = kwargs.pop("cases", None)
    options.update(kwargs)
    if cases is not None:
        options["cases"] = [c if c == "no-such-household" or isinstance(c, tuple) else village[c] for c in cases]
    with pytest.raises((InvalidInput, NotFound)) as err:
        conferences.add_conference(store, options.pop("meeting_type"), options.pop("held_on"), **options)
    assert words in err.value.message
    assert counts(store) == before


def test_types_and_legal_bases(store, village):
    other = conferences.add_conference(store, "支援会議", DAY, members=["a/b"], cases=[village["yamada"]],
                                       legal_basis="生活困窮者自立支援法9条", today=TODAY)
    assert conferences.get_conference(store, other, log=False).legal_basis == "self-reliance-support-act-9"
    community = conferences.add_conference(store, "community-care", DAY, members=["a/b"], today=TODAY)
    assert conferences.get_conference(store, community, log=False).cases == ()
    # Changing the type: a 支援会議 becoming a ケース検討会 loses its legal basis, and back gets the default.
    assert edit_conference(store, other, meeting_type="case-review", legal_basis="", today=TODAY).legal_basis == ""
    assert edit_conference(store, other, meeting_type="support", legal_basis="", today=TODAY).legal_basis \
        == "social-welfare-act-106-6"
    before = counts(store)
    for conference_id, fields, words in (
            (community, {"meeting_type": "support"}, "世帯（ケース）を1つ以上"),  # a 地域ケア会議 without a case
            (other, {"meeting_type": "case-review"}, "支援会議のときだけ"),  # keeping the basis of a 支援会議
            (other, {"legal_basis": "民法"}, "根拠法「民法」"),
            (other, {"start_time": "", "end_time": "15:00"}, "開始時刻も入力")):
        with pytest.raises(InvalidInput) as err:
            edit_conference(store, conference_id, today=TODAY, **fields)
        assert words in err.value.message
    assert counts(store) == before


def test_outcome_validation_and_concurrent_edits(store, village):
    conference_id = meeting(store, village, cases=[village["yamada"]])
    c = conferences.get_conference(store, conference_id, log=False)
    first = c.cases[0].id
    before = counts(store)
    for changes, words in (({"next_review_on": DAY - timedelta(days=1)}, "見直し日が会議の日より前"),
                           ({"roles": ({"agency": "地域包括", "role": ""},)}, "役割分担の内容"),
                           ({"household_id": village["sato"]}, "ケースの世帯は変えられません")):  # a case keeps it
        with pytest.raises(InvalidInput) as err:
            edit_conference(store, conference_id, case_changes={first: changes}, minutes="x", today=TODAY)
        assert words in err.value.message
    assert counts(store) == before  # not the minutes either
    version = c.version
    conferences.save_conference(store, replace(draft_of(c), place="公民館"), conference_id, expected_version=version,
                                today=TODAY)
    with pytest.raises(InvalidInput) as err:
        conferences.save_conference(store, replace(draft_of(c), place="役場"), conference_id, expected_version=version,
                                    today=TODAY)
    assert "別の画面または別の人が保存" in err.value.message
    assert conferences.get_conference(store, conference_id, log=False).place == "公民館"


def test_members_and_cases_are_edited_with_the_conference(store, village):
    conference_id = meeting(store, village)
    members = draft_of(conferences.get_conference(store, conference_id, log=False)).members
    c = edit_conference(store, conference_id, members=members + (MemberDraft("高橋 一", "民生委員"),), today=TODAY)
    tanaka, _suzuki, added = (m.id for m in c.members)
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        edit_conference(store, conference_id, members=draft_of(c).members + (MemberDraft("高橋 一", "民生委員"),),
                        today=TODAY)
    assert "2回入力" in err.value.message and counts(store) == before
    assert [m.name for m in conferences.unacknowledged_members(store, conference_id)] == ["田中 太郎", "高橋 一"]
    c = edit_conference(store, conference_id, member_changes={tanaka: {"acknowledged_on": DAY},
                                                              added: {"acknowledged_on": DAY}}, today=TODAY)
    assert [m.confidentiality_acknowledged_on for m in c.members] == [DAY, DAY, DAY]
    assert conferences.unacknowledged_members(store, conference_id) == []
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        edit_conference(store, conference_id, member_changes={added: {"acknowledged_on": TODAY + timedelta(days=1)}},
                        today=TODAY)
    assert "守秘義務を確認した日が未来の日付" in err.value.message and counts(store) == before
    c = edit_conference(store, conference_id, member_changes={added: {"organisation": "上町 民生委員"}}, today=TODAY)
    assert c.members[-1].label == "高橋 一（上町 民生委員）" and c.members[-1].id == added
    # Removing members and cases; the last member, and the last case of a meeting about households, stay.
    draft = draft_of(c)
    c = edit_conference(store, conference_id, members=draft.members[:1], cases=draft.cases[:1], today=TODAY)
    assert [m.id for m in c.members] == [tanaka] and [k.household_id for k in c.cases] == [village["yamada"]]
    before = counts(store)
    for fields, words in (({"members": ()}, "構成員（出席者）を1人以上"), ({"cases": ()}, "世帯（ケース）を1つ以上")):
        with pytest.raises(InvalidInput) as err:
            edit_conference(store, conference_id, today=TODAY, **fields)
        assert words in err.value.message
    assert counts(store) == before
    c = edit_conference(store, conference_id, meeting_type="community-care", legal_basis="", cases=(), today=TODAY)
    assert c.cases == () and conferences.list_conferences(store, household_id=village["yamada"]) == []
    assert check_store(store).sound


def test_disclosures_are_chosen_per_conference_and_audited(store, village):
    conference_id = meeting(store, village)
    assert conferences.get_conference(store, conference_id, log=False).disclosures == ()
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        edit_conference(store, conference_id, disclosures=("address", "income"), today=TODAY)
    assert "income" in err.value.message and counts(store) == before
    c = edit_conference(store, conference_id, disclosures=("phone", "full_name", "phone"), today=TODAY)
    assert c.disclosures == ("full_name", "phone")
    assert c.shows("full_name") and c.shows("phone") and not c.shows("address")
    # unchanged (in another order): not a new decision, whatever else the save changes
    edit_conference(store, conference_id, disclosures=("phone", "full_name"), place="公民館", today=TODAY)
    edit_conference(store, conference_id, disclosures=(), today=TODAY)
    assert audits(store, "conference.disclosure") == [
        (conference_id, {"before": [], "after": ["full_name", "phone"]}),
        (conference_id, {"before": ["full_name", "phone"], "after": []}),
    ]
    assert check_store(store).sound


# ---- consent ----------------------------------------------------------------------------

def test_missing_consent_names_the_principal_of_each_case_not_every_adult(store, village):
    """Issue 18: a 重層的支援会議 asks for the consent of the person concerned (本人) of each case —
    by default the household member recorded as 本人 (here the head) — not of every adult."""
    conference_id = meeting(store, village, "multi-agency", cases=[village["yamada"]])
    names = lambda: [m.person_name for m in conference_consent.missing_consent(store, conference_id)]  # noqa: E731
    assert names() == ["山田 ハル"]  # her adult son is not asked
    [first] = conference_consent.missing_consent(store, conference_id)
    assert first.household_id == village["yamada"] and first.head_name == "山田 ハル"
    consents.add_consent(store, village["son"], ["multi-agency"], given_on=DAY - timedelta(days=5), today=TODAY)
    assert names() == ["山田 ハル"]  # the son's consent is not the 本人's
    consents.add_consent(store, village["head"], ["support"], given_on=DAY - timedelta(days=5), today=TODAY)  # other type
    assert names() == ["山田 ハル"]
    later = consents.add_consent(store, village["head"], ["multi-agency"], given_on=DAY + timedelta(days=1), today=TODAY)
    assert names() == ["山田 ハル"]  # given after the meeting: does not count
    consents.remove_consent(store, later)
    on_time = consents.add_consent(store, village["head"], ["all"], given_on=DAY, today=TODAY)
    assert names() == []
    consents.withdraw_consent(store, on_time, DAY, today=TODAY)  # withdrawn on the day: none
    assert names() == ["山田 ハル"]
    # The case names its 本人 (the son): his consent is the one that counts.
    [case] = conferences.get_conference(store, conference_id, log=False).cases
    edit_conference(store, conference_id, case_changes={case.id: {"person_id": village["son"]}}, today=TODAY)
    assert names() == []  # his consent of DAY - 5 covers it; his mother's withdrawal no longer matters
    assert conference_consent.principal(store, conference_id) == {case.id: (village["son"], "山田 一郎")}
    # A 支援会議 needs no consent.
    assert conference_consent.missing_consent(store, meeting(store, village)) == []


# ---- handout register -----------------------------------------------------------------------

def test_register_counts_uncollected_and_past_retention(store, village):
    conference_id = meeting(store, village)
    members = conferences.get_conference(store, conference_id, log=False).members
    ids = handout_register.record_copies(
        store, conference_id, [(1, members[0].name, members[0].id), {"copy_number": 2, "recipient": members[1].name,
                                                                     "member_id": members[1].id}, (3, "記録用", None)],
        export_detail={"file": "handout.pdf"})
    assert audits(store, "handout.export") == [(conference_id, {"file": "handout.pdf", "copies": [1, 2, 3]})]
    assert handout_register.next_copy_number(store, conference_id) == 4
    assert handout_register.counts(store, conference_id) == handout_register.RegisterCounts(3, 0, 0, 3)
    before = counts(store)
    for bad, words in (([(3, "再印刷", None)], "すでに使われています"), ([(4, "a", None), (4, "b", None)], "2回"),
                       ([(0, "a", None)], "1以上"), ([(5, "", None)], "配布先を入力"),
                       ([(5, "a", "no-such-member")], "この会議の構成員ではありません")):
        with pytest.raises(InvalidInput) as err:
            handout_register.record_copies(store, conference_id, bad)
        assert words in err.value.message
    assert counts(store) == before

    assert [c.copy_number for c in handout_register.uncollected(store, today=TODAY)] == [1, 2, 3]
    assert handout_register.uncollected(store, today=DAY - timedelta(days=1)) == []  # the meeting is still ahead
    assert handout_register.mark_collected(store, ids[:2]) == 2
    assert handout_register.mark_collected(store, ids[:1]) == 0  # already ticked
    with pytest.raises(InvalidInput):
        handout_register.mark_collected(store, ids[2:], TODAY + timedelta(days=1))
    assert [c.copy_number for c in handout_register.uncollected(store, today=TODAY)] == [3]
    copies = handout_register.copies_of(store, conference_id)
    assert [c.outstanding for c in copies] == [False, False, True] and copies[0].made_by_name == "管理 太郎"
    assert handout_register.counts(store) == handout_register.RegisterCounts(3, 2, 0, 1)

    retention = council.get_settings(store).handout_retention_days
    assert retention == 30
    at_limit = DAY + timedelta(days=retention)
    assert handout_register.past_retention(store, at_limit) == []
    assert [c.copy_number for c in handout_register.past_retention(store, at_limit + timedelta(days=1))] == [1, 2, 3]
    handout_register.mark_destroyed(store, ids[:1])
    council.update_settings(store, handout_retention_days=7)
    assert [c.copy_number for c in handout_register.past_retention(store, DAY + timedelta(days=8))] == [2, 3]
    assert handout_register.counts(store, conference_id) == handout_register.RegisterCounts(3, 2, 1, 1)
    assert check_store(store).sound


def test_settings_hold_the_notice(store):
    settings = council.get_settings(store)
    assert "正当な理由なく" in settings.confidentiality_notice and "100万円以下の罰金" in settings.confidentiality_notice
    council.update_settings(store, confidentiality_notice="構成員には守秘義務があります。")
    assert council.get_settings(store).confidentiality_notice == "構成員には守秘義務があります。"
    with pytest.raises(InvalidInput):
        council.update_settings(store, confidentiality_notice=" ")
    with pytest.raises(InvalidInput):
        council.update_settings(store, handout_retention_days=0)


# ---- timeline, follow-ups, tax-derived facts ------------------------------------------------

def test_timeline_and_review_follow_ups(store, village):
    first = meeting(store, village, cases=[(village["yamada"], "8050の世帯をどう支えるか")])
    case = conferences.get_conference(store, first, log=False).cases[0]
    edit_conference(store, first, today=TODAY, case_changes={case.id: {
        "support_policy": "週1回の訪問", "lead_agency": "社協", "roles": (("社協", "訪問"),),
        "next_review_on": DAY + timedelta(days=10)}})
    [entry] = timeline.household_timeline(store, village["yamada"], kinds={"conference"}, log=False)
    assert (entry.kind, entry.kind_label, entry.on, entry.ref_id) == ("conference", "会議", DAY, first)
    assert entry.title.startswith("支援会議") and "みどり村役場" in entry.title
    assert "検討したこと：8050の世帯をどう支えるか" in entry.detail and "主担当：社協" in entry.detail
    assert "役割：社協　訪問" in entry.detail and "次回の見直し：" in entry.detail
    assert [h.conference_id for h in conferences.household_conferences(store, village["yamada"])] == [first]

    [due] = watch.reviews_due(store, TODAY)
    assert (due.household_id, due.conference_id, due.next_review_on, due.lead_agency) == (
        village["yamada"], first, DAY + timedelta(days=10), "社協")
    assert due.overdue_days(TODAY) == 10 and due.type_label == "支援会議"
    assert watch.reviews_due(store, DAY + timedelta(days=9)) == []
    assert watch.reviews_due(store, TODAY, district_id=village["lower"]) == []
    # Discussing the household again supersedes the earlier review date.
    again = conferences.add_conference(store, "case-review", DAY + timedelta(days=5), members=["a/b"],
                                       cases=[village["yamada"]], today=TODAY)
    assert watch.reviews_due(store, TODAY) == []
    case2 = conferences.get_conference(store, again, log=False).cases[0]
    edit_conference(store, again, case_changes={case2.id: {"next_review_on": TODAY + timedelta(days=30)}}, today=TODAY)
    assert [d.conference_id for d in watch.reviews_due(store, TODAY + timedelta(days=30))] == [again]
    assert [e.ref_id for e in timeline.household_timeline(store, village["yamada"], kinds={"conference"}, log=False)] \
        == [again, first]


def test_tax_derived_marks(store, village):
    from shakyo_desk.store.services import contacts

    plain = contacts.add_contact(store, household_id=village["yamada"], seen_heard="元気", today=TODAY)
    taxed = contacts.add_contact(store, household_id=village["yamada"], seen_heard="住民税非課税", tax_derived=True,
                                 today=TODAY)
    assert not contacts.get_contact(store, plain).tax_derived and contacts.get_contact(store, taxed).tax_derived
    assert contacts.set_tax_derived(store, plain) is True and contacts.get_contact(store, plain).tax_derived
    assert contacts.set_tax_derived(store, plain) is False
    households.update_household(store, village["yamada"], tax_note="非課税世帯")
    assert households.get_household(store, village["yamada"], log=False).tax_note == "非課税世帯"
    assert check_store(store).sound


# ---- rights ---------------------------------------------------------------------------------

def test_rights(store, village):
    conference_id = meeting(store, village)
    disclosed = replace(draft_of(conferences.get_conference(store, conference_id, log=False)), disclosures=("address",))
    staff = login_as(store, "staff1", Role.STAFF, [village["upper"]])
    reporter = login_as(store, "care1", Role.REPORTER)
    coordinator = login_as(store, "coord1", Role.COORDINATOR)
    try:
        for account in (staff, reporter):
            for call in (lambda s: meeting(s, village), lambda s: conferences.list_conferences(s),
                         lambda s: conferences.get_conference(s, conference_id),
                         lambda s: conference_consent.missing_consent(s, conference_id),
                         lambda s: conferences.save_conference(s, disclosed, conference_id, today=TODAY),
                         lambda s: handout_register.record_copies(s, conference_id, [(1, "x", None)]),
                         lambda s: handout_register.uncollected(s)):
                with pytest.raises(PermissionDenied):
                    call(account)
        # Staff see the conference on the timeline of their own household only.
        assert [e.ref_id for e in timeline.household_timeline(staff, village["yamada"], kinds={"conference"})] \
            == [conference_id]
        with pytest.raises(PermissionDenied):
            conferences.household_conferences(staff, village["sato"])
        with pytest.raises(PermissionDenied):
            watch.reviews_due(reporter, TODAY)
        assert watch.reviews_due(staff, TODAY + timedelta(days=400)) == []
        meeting(coordinator, village)
        assert len(conferences.list_conferences(coordinator)) == 2
    finally:
        for account in (staff, reporter, coordinator):
            account.close()


# ---- sync -----------------------------------------------------------------------------------

@pytest.fixture
def office(tmp_path):
    store, _ = make_office(tmp_path)
    yield store
    store.close()


def test_scope_takes_conferences_with_a_case_in_the_districts(office, tmp_path):
    upper = districts.add_district(office, "上町")
    lower = districts.add_district(office, "下町")
    mine = households.add_household(office, upper, "架空 上子")
    theirs = households.add_household(office, lower, "架空 下子")
    head = households.get_household(office, mine, log=False).members[0].id
    other_head = households.get_household(office, theirs, log=False).members[0].id
    consent = consents.add_consent(office, head, ["multi-agency"], given_on=DAY, today=TODAY)
    consents.add_consent(office, other_head, ["multi-agency"], given_on=DAY, today=TODAY)
    shared = conferences.add_conference(office, "multi-agency", DAY, members=["田中/包括"], cases=[mine, theirs],
                                        today=TODAY)
    elsewhere = conferences.add_conference(office, "support", DAY, members=["佐藤/役場"], cases=[theirs], today=TODAY)
    detail = conferences.get_conference(office, shared, log=False)
    [copy] = handout_register.record_copies(office, shared, [(1, "田中", detail.members[0].id)])
    handout_register.record_copies(office, elsewhere, [(1, "佐藤", None)])
    with office.read() as s:
        covered = scope_records(s.connection(), [upper])
    assert covered["consent"] == {consent}
    assert covered["conference"] == {shared}
    assert covered["conference_case"] == {k.id for k in detail.cases if k.household_id == mine}
    assert covered["conference_member"] == {detail.members[0].id}
    assert covered["handout_copy"] == {copy}

    laptop = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    try:
        [row] = conferences.list_conferences(laptop)
        assert (row.id, row.case_count, row.member_count) == (shared, 1, 1)
        assert [c.id for c in consents.consents_of(laptop, head)] == [consent]
        assert handout_register.counts(laptop).made == 1
        # Work on the laptop comes back; the office's later work goes to the laptop.
        handout_register.mark_collected(laptop, [copy])
        edit_conference(laptop, shared, today=TODAY, case_changes={
            conferences.get_conference(laptop, shared, log=False).cases[0].id: {"support_policy": "ノートPCで記録"}})
        _, report = carry(laptop, office, tmp_path / "back")
        assert report.refused == []
        assert handout_register.counts(office, shared).collected == 1
        assert "ノートPCで記録" in {k.support_policy for k in conferences.get_conference(office, shared, log=False).cases}
        members = draft_of(conferences.get_conference(office, shared, log=False)).members
        edit_conference(office, shared, members=members + (MemberDraft("高橋", "民生委員"),), today=TODAY)
        conferences.add_conference(office, "case-review", DAY, members=["x/y"], cases=[theirs], today=TODAY)
        _, report = carry(office, laptop, tmp_path / "usb", for_device="kamimachi")
        assert report.refused == []
        assert [r.id for r in conferences.list_conferences(laptop)] == [shared]
        assert conferences.get_conference(laptop, shared, log=False).members[-1].name == "高橋"
        assert check_store(laptop).sound, check_store(laptop).problems
        assert check_store(office).sound, check_store(office).problems
    finally:
        laptop.close()


def test_a_household_moving_into_the_districts_brings_its_conferences(office, tmp_path):
    upper = districts.add_district(office, "上町")
    lower = districts.add_district(office, "下町")
    mover = households.add_household(office, lower, "架空 移子")
    laptop = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    try:
        conference_id = conferences.add_conference(office, "support", DAY, members=["田中/包括"], cases=[mover],
                                                   today=TODAY)
        carry(office, laptop, tmp_path / "usb1", for_device="kamimachi")
        assert conferences.list_conferences(laptop) == []
        households.update_household(office, mover, district_id=upper)
        _, report = carry(office, laptop, tmp_path / "usb2", for_device="kamimachi")
        assert report.refused == []
        assert [r.id for r in conferences.list_conferences(laptop)] == [conference_id]
        assert check_store(laptop).sound, check_store(laptop).problems
    finally:
        laptop.close()


def test_a_conference_round_trip_between_two_stores(office, tmp_path):
    district = districts.add_district(office, "上町")
    home = households.add_household(office, district, "架空 花子")
    laptop = enrol(office, tmp_path, "laptop1")
    try:
        conference_id = conferences.add_conference(office, "support", DAY, members=["田中/包括", "鈴木/役場"],
                                                   cases=[(home, "見守りの分担")], today=TODAY)
        edit_conference(office, conference_id, disclosures=("address",), today=TODAY)
        carry(office, laptop, tmp_path / "usb")
        there = conferences.get_conference(laptop, conference_id, log=False)
        assert there.disclosures == ("address",) and [m.name for m in there.members] == ["田中", "鈴木"]
        edit_conference(laptop, conference_id, minutes="訪問は週1回", today=TODAY, case_changes={
            there.cases[0].id: {"lead_agency": "社協", "next_review_on": DAY + timedelta(days=30)}})
        handout_register.record_copies(laptop, conference_id, [(1, "田中", there.members[0].id)])
        carry(laptop, office, tmp_path / "back")
        back = conferences.get_conference(office, conference_id, log=False)
        assert back.minutes == "訪問は週1回" and back.cases[0].lead_agency == "社協"
        assert [c.recipient for c in handout_register.copies_of(office, conference_id)] == ["田中"]
        assert [d.household_id for d in watch.reviews_due(office, DAY + timedelta(days=30))] == [home]
        assert check_store(office).sound and check_store(laptop).sound
    finally:
        laptop.close()
