"""`consent add` and `meeting add` (CLI.md), with the additions `consent withdraw|list` and
`meeting list|show`; refusals are one Japanese line and change nothing."""

import json
from datetime import date, timedelta

import sqlalchemy as sa

from shakyo_desk.store.models import ChangeLog
from shakyo_desk.store.services import conferences, consents, households
from tests.cli.conftest import assert_one_japanese_line
from tests.cli.records_helpers import add_account, opened
from tests.store.conference_drafts import edit_conference
from shakyo_desk.domain import clock

TODAY = clock.today()
DAY = (TODAY - timedelta(days=3)).isoformat()


def head_of(store_dir, household):
    with opened(store_dir) as store:
        return households.get_household(store, household, log=False).members[0].id


def changes(store_dir):
    with opened(store_dir) as store, store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one()


def test_consent_add_prints_the_id(cli, household, store_dir):
    person = head_of(store_dir, household)
    code, out, err = cli("consent", "add", "--person", person, "--scope", "multi-agency,support",
                         "--agency", "みどり村地域包括支援センター", "まいさぽ", "--method", "口頭", "--date", DAY)
    assert code == 0, err
    with opened(store_dir) as store:
        [c] = consents.consents_of(store, person)
    assert c.id == out.strip()
    assert c.meeting_types == ("support", "multi-agency") and c.agencies == ("みどり村地域包括支援センター", "まいさぽ")
    assert c.method == "口頭" and c.given_on == date.fromisoformat(DAY)

    code, out, err = cli("consent", "add", "--person", person, "--scope", "case-review", "--scope", "community-care",
                         "--format", "json")
    assert code == 0, err
    assert list(json.loads(out)) == ["id"]
    code, out, _ = cli("consent", "withdraw", json.loads(out)["id"])
    assert code == 0
    code, out, _ = cli("consent", "list", "--household", household, "--format", "json")
    doc = json.loads(out)
    assert [d["scope"] for d in doc] == [["case-review", "community-care"], ["support", "multi-agency"]]
    assert doc[0]["withdrawn_on"] == TODAY.isoformat() and doc[1]["withdrawn_on"] is None


def test_consent_all(cli, household, store_dir):
    person = head_of(store_dir, household)
    code, _, err = cli("consent", "add", "--person", person, "--scope", "all")
    assert code == 0, err
    code, out, _ = cli("consent", "list", "--person", person)
    assert "支援会議・重層的支援会議・ケース検討会・地域ケア会議（書面）" in out


def test_consent_refusals(cli, household, store_dir):
    person = head_of(store_dir, household)
    before = changes(store_dir)
    for argv, code_wanted, words in (
        (["--person", person, "--scope", "everything"], 2, "everything"),
        (["--person", person, "--scope", "support", "--method", "メール"], 2, "書面"),
        (["--person", person, "--scope", "support", "--date", (TODAY + timedelta(days=1)).isoformat()], 2, "未来"),
        (["--person", "no-such-person", "--scope", "support"], 3, "世帯員が見つかりません"),
    ):
        code, out, err = cli("consent", "add", *argv)
        assert code == code_wanted, err
        assert out == "" and words in err
        assert_one_japanese_line(err)
    code, _, err = cli("consent", "add", "--person", person)
    assert code == 2 and "--scope" in err
    assert changes(store_dir) == before


def test_meeting_add_and_show(cli, household, store_dir):
    code, out, err = cli("meeting", "add", "--type", "support", "--date", DAY, "--household", household,
                         "--member", "田中 太郎/みどり村地域包括支援センター", "鈴木 花子／役場", "--member", "高橋 一",
                         "--question", "見守りの分担を決めたい", "--place", "役場2階", "--time", "14:00-15:30")
    assert code == 0, err
    meeting_id = out.strip()
    with opened(store_dir) as store:
        c = conferences.get_conference(store, meeting_id, log=False)
    assert (c.meeting_type, c.legal_basis, c.place, c.time_text) == (
        "support", "social-welfare-act-106-6", "役場2階", "14:00〜15:30")
    assert [(m.name, m.organisation) for m in c.members] == [
        ("田中 太郎", "みどり村地域包括支援センター"), ("鈴木 花子", "役場"), ("高橋 一", "")]
    assert [(k.household_id, k.question) for k in c.cases] == [(household, "見守りの分担を決めたい")]

    code, out, _ = cli("meeting", "show", meeting_id, "--format", "json")
    doc = json.loads(out)
    assert doc["legal_basis_label"] == "社会福祉法第106条の6" and doc["missing_consent"] == []
    code, out, _ = cli("meeting", "list", "--format", "json")
    assert [d["id"] for d in json.loads(out)] == [meeting_id]
    code, out, _ = cli("meeting", "show", meeting_id)
    assert "守秘義務の確認なし" in out and "社会福祉法第106条の6" in out


def test_multi_agency_meeting_names_who_has_not_consented(cli, household, store_dir):
    code, out, err = cli("meeting", "add", "--type", "multi-agency", "--date", DAY, "--household", household,
                         "--member", "田中/包括", "--format", "json")
    assert code == 0, err
    meeting_id = json.loads(out)["id"]
    code, out, _ = cli("meeting", "show", meeting_id, "--format", "json")
    assert [m["name"] for m in json.loads(out)["missing_consent"]] == ["山田 花子"]
    code, out, _ = cli("meeting", "show", meeting_id)
    assert "同意の記録がない方" in out and "山田 花子" in out


def test_a_consent_dated_after_the_meeting_is_named_with_both_dates(cli, household, store_dir):
    """Issue 17: not 「同意の記録がない」 but that the consent is dated after the meeting."""
    from shakyo_desk.domain.wareki import format_wareki

    code, out, err = cli("meeting", "add", "--type", "multi-agency", "--date", DAY, "--household", household,
                         "--member", "田中/包括", "--format", "json")
    assert code == 0, err
    meeting_id = json.loads(out)["id"]
    code, _, err = cli("consent", "add", "--person", head_of(store_dir, household), "--scope", "multi-agency",
                       "--date", TODAY.isoformat())
    assert code == 0, err
    code, out, _ = cli("meeting", "show", meeting_id)
    assert "同意の記録がない方" not in out
    assert f"同意は{format_wareki(TODAY)}付けで、会議の日（{format_wareki(date.fromisoformat(DAY))}）より後の日付" in out
    code, out, _ = cli("meeting", "show", meeting_id, "--format", "json")
    assert [m["consent_given_after_meeting_on"] for m in json.loads(out)["missing_consent"]] == [TODAY.isoformat()]


def test_meeting_refusals_change_nothing(cli, household, store_dir):
    before = changes(store_dir)
    long_ago = (TODAY - timedelta(days=800)).isoformat()
    for argv, code_wanted, words in (
        (["--type", "support", "--date", DAY, "--household", household, "--member", "/包括"], 2, "氏名"),
        (["--type", "support", "--date", DAY, "--member", "田中/包括"], 2, "世帯（ケース）を1つ以上"),
        (["--type", "support", "--date", DAY, "--household", "no-such", "--member", "田中/包括"], 3, "見つかりません"),
        (["--type", "support", "--date", long_ago, "--household", household, "--member", "田中/包括"], 2, "1年以上前"),
        (["--type", "party", "--date", DAY, "--household", household, "--member", "田中/包括"], 2, "party"),
        (["--type", "case-review", "--date", DAY, "--household", household, "--member", "田中/包括",
          "--legal-basis", "social-welfare-act-106-6"], 2, "支援会議のときだけ"),
        (["--type", "support", "--date", DAY, "--household", household, "--member", "田中/包括",
          "--question", "a", "--question", "b"], 2, "--question"),
        (["--type", "support", "--date", "2026/1/1", "--household", household, "--member", "田中/包括"], 2,
         "YYYY-MM-DD"),
    ):
        code, out, err = cli("meeting", "add", *argv)
        assert code == code_wanted, err
        assert out == "" and words in err, err
        assert_one_japanese_line(err)
    code, _, err = cli("meeting", "add", "--type", "support", "--date", DAY, "--household", household)
    assert code == 2 and "--member" in err
    assert changes(store_dir) == before


def test_staff_and_reporters_may_not_record_meetings(cli, household, store_dir, district):
    add_account(store_dir, "staff1", "staff", [district])
    add_account(store_dir, "care1", "reporter")
    person = head_of(store_dir, household)
    for login in ("staff1", "care1"):
        code, _, err = cli("meeting", "add", "--type", "support", "--date", DAY, "--household", household,
                           "--member", "田中/包括", user=login)
        assert code == 4, err
        assert_one_japanese_line(err)
    code, _, err = cli("consent", "add", "--person", person, "--scope", "support", user="staff1")
    assert code == 0, err  # staff record consent for the households they see
    code, _, err = cli("consent", "add", "--person", person, "--scope", "support", user="care1")
    assert code == 4, err


def test_the_review_date_is_a_follow_up_of_the_household(cli, household, store_dir):
    code, out, _ = cli("meeting", "add", "--type", "case-review", "--date", DAY, "--household", household,
                       "--member", "田中/社協")
    review = TODAY + timedelta(days=30)
    with opened(store_dir) as store:
        [case] = conferences.get_conference(store, out.strip(), log=False).cases
        edit_conference(store, out.strip(), case_changes={case.id: {"lead_agency": "社協", "next_review_on": review}})
    code, out, _ = cli("household", "show", household, "--format", "json")
    [item] = [f for f in json.loads(out)["follow_ups"] if f["kind"] == "review"]
    assert item["date"] == review.isoformat() and item["what"] == "ケース検討会で決めた支援の見直し"
    code, out, _ = cli("household", "show", household)
    assert "ケース検討会で決めた支援の見直し" in out
