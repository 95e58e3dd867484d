"""Handouts made from a real store: the consent gate, minimisation, the marks on every page
of every copy, the register, and nothing left behind on a refusal."""

import os
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.people import age_band
from shakyo_desk.reports.handouts import ConsentRefused, check_handout, export_handout, preview_pdf
from shakyo_desk.store.services import conferences, consents, contacts, handout_register, households
from tests.store.conference_drafts import edit_conference
from tests.store.conftest import district, login_as, store, store_dir  # noqa: F401 (fixtures)
from shakyo_desk.domain import clock

TODAY = clock.today()
MEETING = TODAY + timedelta(days=3)
HEAD = ("山本 一郎", "ヤマモト イチロウ")
SPOUSE = ("山本 花子", "ヤマモト ハナコ")
ADDRESS = "みどり村上町1-2-3"
PHONE = "0123-45-6789"
TAX_NOTE = "住民税非課税世帯（課税台帳より）"
TAX_CONTACT = "課税台帳で年金収入のみと確認した"
PLAIN_CONTACT = "玄関先で話した。膝が痛いとのこと"
MEMBERS = ["佐藤 一/地域包括支援センター", "鈴木 二/役場福祉課", "高橋 三/民生委員"]


@pytest.fixture
def case(store, district):
    household = households.add_household(
        store, district, HEAD[0], HEAD[1], address=ADDRESS, phone=PHONE, flags=["高齢者のみ"], tax_note=TAX_NOTE,
        person={"birth_date": date(1944, 5, 3), "sex": "男", "wishes": "家で暮らし続けたい"})
    spouse = households.add_person(store, household, SPOUSE[0], kana=SPOUSE[1], relation="配偶者",
                                   birth_date=date(1947, 2, 1), sex="女")
    contacts.add_contact(store, household_id=household, contact_date=TODAY - timedelta(days=20), seen_heard=PLAIN_CONTACT,
                         concerns=["介護"], today=TODAY)
    contacts.add_contact(store, household_id=household, contact_date=TODAY - timedelta(days=10), seen_heard=TAX_CONTACT,
                         tax_derived=True, today=TODAY)
    head = households.get_household(store, household, log=False).members[0].id
    return household, head, spouse


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def meeting(store, household, kind="support"):
    return conferences.add_conference(store, kind, MEETING, members=MEMBERS, title="テスト村支援会議",
                                      cases=[(household, "見守りの分担を決めたい")], today=TODAY)


def pages_text(path):
    return [page.extract_text() for page in PdfReader(path).pages]


def test_every_page_of_every_copy_is_marked_and_minimised(store, case, out):
    household, _, _ = case
    conference = meeting(store, household)
    done = export_handout(store, conference, out / "h.pdf")
    pages = pages_text(done.paths[0])
    assert done.copies == 3 and len(pages) % 3 == 0
    per_copy = len(pages) // 3
    for n, member in enumerate(MEMBERS):
        name, org = member.split("/")
        for i, text in enumerate(pages[n * per_copy:(n + 1) * per_copy], 1):
            assert "取扱注意" in text and "会議終了後回収" in text and "テスト村支援会議" in text
            assert f"配布番号 {n + 1}／3" in text and f"{name} 様" in text and org in text
            assert f"{i} / {per_copy} ページ" in text
    body = "\n".join(pages)
    assert "社会福祉法第106条の6" in body and "秘密を漏らしてはなりません" in body  # the statutory notice
    assert "Y・I" in body and "Y・H" in body and age_band(date(1944, 5, 3), MEETING) in body and PLAIN_CONTACT[:8] in body
    for secret in (HEAD[0], SPOUSE[0], ADDRESS, PHONE, TAX_NOTE, TAX_CONTACT[:8], "1944", "昭和19年"):
        assert secret not in body, secret


def test_fields_shown_in_full_only_when_chosen(store, case, out):
    household, _, _ = case
    conference = meeting(store, household)
    edit_conference(store, conference, disclosures=("full_name", "address", "phone", "birth_date"), today=TODAY)
    body = "\n".join(pages_text(export_handout(store, conference, out / "h.pdf").paths[0]))
    for shown in (HEAD[0], SPOUSE[0], ADDRESS, PHONE, "昭和19年5月3日"):
        assert shown in body, shown
    for secret in (TAX_NOTE, TAX_CONTACT[:8]):
        assert secret not in body  # tax-derived facts never, whatever was chosen


def test_consent_gate_names_the_person_and_writes_nothing(store, case, out):
    """The gate asks for the 本人's consent (issue 18: the head, recorded as 本人), not the spouse's."""
    household, head, spouse = case
    conference = meeting(store, household, "multi-agency")
    consents.add_consent(store, spouse, "multi-agency", given_on=TODAY, today=TODAY)
    with pytest.raises(ConsentRefused) as refused:
        export_handout(store, conference, out / "m.pdf")
    assert HEAD[0] in str(refused.value) and SPOUSE[0] not in str(refused.value)
    assert os.listdir(out) == [] and handout_register.copies_of(store, conference) == []
    with pytest.raises(ConsentRefused):
        preview_pdf(store, conference)

    given = consents.add_consent(store, head, "multi-agency", given_on=TODAY, today=TODAY)
    assert check_handout(store, conference).ok
    export_handout(store, conference, out / "m.pdf")
    assert len(handout_register.copies_of(store, conference)) == 3

    consents.withdraw_consent(store, given, TODAY, today=TODAY)  # withdrawn counts as none
    with pytest.raises(ConsentRefused, match=HEAD[0]):
        export_handout(store, conference, out / "again.pdf")
    assert not (out / "again.pdf").exists()


def test_a_consent_dated_after_the_meeting_is_named_as_such_by_the_export(store, case, out):
    """The refusal the CLI and the export print says why, not 「同意が記録されていません」."""
    household, head, spouse = case
    conference = meeting(store, household, "multi-agency")
    for person in (head, spouse):
        consents.add_consent(store, person, "multi-agency", given_on=TODAY + timedelta(days=30), today=TODAY + timedelta(days=30))
    with pytest.raises(ConsentRefused) as refused:
        export_handout(store, conference, out / "m.pdf")
    text = str(refused.value)
    assert "より後の日付です" in text and "記録されていません" not in text and HEAD[0] in text


def test_register_counts_copies_and_numbers_continue(store, case, out):
    household, _, _ = case
    conference = meeting(store, household)
    preview = preview_pdf(store, conference)
    assert preview.startswith(b"%PDF") and handout_register.copies_of(store, conference) == []
    first = export_handout(store, conference, out / "a.pdf")
    folder = out / "each"
    folder.mkdir()
    second = export_handout(store, conference, folder, separate=True)
    assert (first.first_number, second.first_number) == (1, 4) and len(second.paths) == 3
    assert "配布番号 6／6" in pages_text(second.paths[2])[0]
    copies = handout_register.copies_of(store, conference)
    assert sorted(c.copy_number for c in copies) == [1, 2, 3, 4, 5, 6]
    assert {c.recipient for c in copies} == {f"{m.split('/')[1]}　{m.split('/')[0]} 様" for m in MEMBERS}
    handout_register.mark_collected(store, [c.id for c in copies[:4]], TODAY)
    counts = handout_register.counts(store, conference)
    assert (counts.made, counts.collected, counts.outstanding) == (6, 4, 2)


def test_bad_input_leaves_no_file_and_no_copy(store, case, out):
    household, _, _ = case
    conference = meeting(store, household)
    with pytest.raises(InvalidInput, match="フォルダ"):
        export_handout(store, conference, out / "missing" / "h.pdf")
    old = conferences.add_conference(store, "case-review", TODAY - timedelta(days=200), members=MEMBERS,
                                     cases=[household], today=TODAY)
    with pytest.raises(InvalidInput, match="日以上前"):
        export_handout(store, old, out / "old.pdf")
    assert os.listdir(out) == []
    assert handout_register.copies_of(store, conference) == [] and handout_register.copies_of(store, old) == []


def test_staff_cannot_make_handouts(store, case, district, out):
    household, _, _ = case
    conference = meeting(store, household)
    staff = login_as(store, "tanaka", "staff", [district])
    try:
        with pytest.raises(Exception, match="権限"):
            export_handout(staff, conference, out / "h.pdf")
    finally:
        staff.close()
    assert os.listdir(out) == []
