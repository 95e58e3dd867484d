"""Issue 18 handouts per member: each member's copy holds exactly the cases they sit for and that
the 本人's consent covers their organisation for; the coordinator is told first; members with the
same cases share one layout; numbering and the register stay one copy per member; only the
本人's consent is asked for. PDF text is extracted per copy."""

from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from shakyo_desk.reports import handout_pdf
from shakyo_desk.reports.handouts import check_handout, export_handout, member_cases
from shakyo_desk.store.services import agencies, cases, conferences, consents, handout_register, households
from tests.store.conftest import district, store, store_dir  # noqa: F401 (fixtures)
from shakyo_desk.domain import clock

TODAY = clock.today()
MEETING = TODAY + timedelta(days=5)
MEMBERS = ["田中 一/架空村地域包括支援センター", "鈴木 二/役場 福祉課", "上町 民生委員/民生委員"]


@pytest.fixture
def meeting(store, district):
    agencies.add_agency(store, "架空村地域包括支援センター", kana="かくうむらちいきほうかつしえんせんたー")
    homes = []
    for name, kana in (("山本 一郎", "ヤマモト イチロウ"), ("川上 ハナ", "カワカミ ハナ"), ("森 キヨ", "モリ キヨ")):
        home = households.add_household(store, district, name, kana, person={"birth_date": date(1944, 5, 3)})
        households.add_person(store, home, "同居 家族", kana="ドウキョ カゾク", relation="子", birth_date=date(1975, 1, 1))
        cases.open_case(store, home)
        homes.append(home)
    meeting = conferences.add_conference(store, "multi-agency", MEETING, members=MEMBERS, title="テスト村重層的支援会議",
                                         cases=[(h, "支援の分担") for h in homes], today=TODAY)
    detail = conferences.get_conference(store, meeting, log=False)
    tanaka, suzuki, minsei = (m.id for m in detail.members)
    # Only the 本人 (each head) consents; the adult children never do, and are not asked.
    for n, home in enumerate(homes):
        head = households.get_household(store, home, log=False).members[0].id
        # case 1: the agency (by its kana, in katakana) and the 民生委員, not 役場
        named = ["カクウムラチイキホウカツシエンセンター", "民生委員"] if n == 0 else []
        consents.add_consent(store, head, "multi-agency", agencies=named, given_on=TODAY, today=TODAY)
    # The district's 民生委員 sits only for case 1; cases 2 and 3 name the other two.
    for case in detail.cases[1:]:
        conferences.set_case_members(store, meeting, case.id, [tanaka, suzuki])
    codes = [households.get_household(store, h, log=False).code for h in homes]
    return meeting, codes, (tanaka, suzuki, minsei)


def copies_text(path) -> dict[int, str]:
    """Copy number → the text of that copy's pages (each page says 配布番号 n／3)."""
    found: dict[int, list[str]] = {}
    for page in PdfReader(path).pages:
        text = page.extract_text()
        number = next(n for n in range(1, 10) if f"配布番号 {n}／3" in text)
        found.setdefault(number, []).append(text)
    return {n: "\n".join(pages) for n, pages in found.items()}


def test_each_member_sees_exactly_their_cases(store, meeting, tmp_path, monkeypatch):
    conference, codes, (tanaka, suzuki, minsei) = meeting
    check = check_handout(store, conference, today=TODAY)
    assert check.ok and check.missing_consent == []  # the adult children are not asked
    [warned] = check.uncovered  # told before printing: 役場 is not among the agencies case 1's consent names
    assert warned.member_id == suzuki and warned.household_code == codes[0] and "載せません" in warned.text
    detail = conferences.get_conference(store, conference, log=False)
    assert member_cases(store, detail) == {tanaka: (0, 1, 2), suzuki: (1, 2), minsei: (0,)}

    passes = []
    real = handout_pdf._layouts
    monkeypatch.setattr(handout_pdf, "_layouts", lambda contents: passes.append(len(contents)) or real(contents))
    done = export_handout(store, conference, tmp_path / "h.pdf")
    assert passes == [3]  # one layout pass, each distinct set of cases laid out once
    texts = copies_text(done.paths[0])
    expected = {1: {0, 1, 2}, 2: {1, 2}, 3: {0}}
    for number, wanted in expected.items():
        text = texts[number]
        for index, code in enumerate(codes):
            assert (code in text) == (index in wanted), (number, code)
        assert MEMBERS[number - 1].split("/")[0] + " 様" in text
    # Each copy's pages are counted on their own, and case labels keep the meeting's numbering.
    assert "ケース1" in texts[3] and "ケース2" not in texts[3] and "ケース3" in texts[2] and "ケース1" not in texts[2]
    counts = {n: text.count("配布番号") // 2 for n, text in texts.items()}  # (header and footer on each page)
    assert counts[3] < counts[2] < counts[1]
    for n, total in counts.items():
        assert f"1 / {total} ページ" in texts[n] and f"{total} / {total} ページ" in texts[n]
    register = handout_register.copies_of(store, conference)
    assert [(c.copy_number, c.member_id) for c in register] == [(1, tanaka), (2, suzuki), (3, minsei)]


def test_separate_files_per_member_hold_their_cases_and_the_gate_asks_only_the_principal(store, meeting, tmp_path):
    conference, codes, _ = meeting
    folder = tmp_path / "each"
    folder.mkdir()
    done = export_handout(store, conference, folder, separate=True)
    assert len(done.paths) == 3
    texts = ["\n".join(p.extract_text() for p in PdfReader(path).pages) for path in done.paths]
    assert [sorted(i for i, code in enumerate(codes) if code in text) for text in texts] == [[0, 1, 2], [1, 2], [0]]
    # Copy 3 (one case) has fewer pages than copy 1 (three), each counted from 1.
    first, third = (len(PdfReader(path).pages) for path in (done.paths[0], done.paths[2]))
    assert third < first and f"1 / {third} ページ" in texts[2] and f"{third} / {third} ページ" in texts[2]


def test_a_topic_meeting_held_as_an_existing_body_prints_its_topic(store, district, tmp_path):
    conference = conferences.add_conference(store, "support", MEETING, members=MEMBERS[:2], topic="冬の移動手段の不足",
                                            body="地域ケア会議", today=TODAY)
    assert check_handout(store, conference, today=TODAY).ok
    done = export_handout(store, conference, tmp_path / "t.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(done.paths[0]).pages)
    assert "検討するテーマ：冬の移動手段の不足" in text and "会議体：地域ケア会議（支援会議として開催）" in text
    assert "社会福祉法第106条の6" in text and done.copies == 2
