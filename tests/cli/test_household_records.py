"""`household show` with field records: contacts, sheets (status history), referrals, follow-ups;
and `watch list|route`."""

import json
import subprocess
from datetime import date, timedelta

from pypdf import PdfReader

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.services import agencies, contacts, districts, households, referrals, sheets
from tests.cli.conftest import assert_one_japanese_line
from tests.cli.records_helpers import add_account, opened
from shakyo_desk.domain import clock

TODAY = clock.today()


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def fill(store_dir, household_id):
    """Two contacts, a sheet moved on once, one referral awaiting its follow-up, one done."""
    with opened(store_dir) as store:
        households.update_household(store, household_id, watch_interval_days=30)
        contacts.add_contact(store, method="不在", contact_date=days_ago(5), household_id=household_id)
        contacts.add_contact(store, method="訪問", contact_date=days_ago(40), household_id=household_id,
                             seen_heard="台所が散らかっていた", concerns=["ごみ屋敷"], next_action="ごみ出しの日を確認",
                             companions=["民生委員"], contact_time="10:30")
        sheet_id = sheets.file_sheet(store, household_id=household_id, concerns=["介護"], urgency="早め",
                                     situation="足が悪そう", noticed_on=days_ago(20))
        sheets.change_status(store, sheet_id, "確認中", changed_on=days_ago(10), note="担当が電話した")
        agency = agencies.add_agency(store, "地域包括支援センター")
        waiting = referrals.add_referral(store, agency, "介護保険の申請", household_id=household_id,
                                         referred_on=days_ago(15), follow_up_on=days_ago(1))
        done = referrals.add_referral(store, agency, "配食サービス", household_id=household_id,
                                      referred_on=days_ago(30), follow_up_on=days_ago(20))
        referrals.record_outcome(store, done, "つながった")
    return sheet_id, waiting


def test_show_json_includes_the_records(cli, household, store_dir):
    sheet_id, waiting = fill(store_dir, household)
    code, out, err = cli("household", "show", household, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["conflicts"] == []
    # contacts, newest first
    assert [c["method"] for c in doc["contacts"]] == ["不在", "訪問"]
    visit = doc["contacts"][1]
    assert visit["date"] == days_ago(40).isoformat() and visit["time"] == "10:30"
    assert visit["note"] == "台所が散らかっていた" and visit["concerns"] == ["ごみ屋敷"]
    assert visit["companions"] == ["民生委員"] and visit["next_action"] == "ごみ出しの日を確認"
    assert doc["contacts"][0]["failed"] is True
    # the sheet with its workflow
    [sheet] = doc["sheets"]
    assert sheet["id"] == sheet_id and sheet["status"] == "確認中" and sheet["concerns"] == ["介護"]
    assert [(h["status"], h["changed_on"]) for h in sheet["history"]] == [
        ("受付", days_ago(20).isoformat()), ("確認中", days_ago(10).isoformat())]
    assert sheet["history"][1]["note"] == "担当が電話した"
    # referrals: both; follow-ups: the one still 確認中 and the next 見守り contact
    assert {r["outcome"] for r in doc["referrals"]} == {"確認中", "つながった"}
    kinds = {f["kind"]: f for f in doc["follow_ups"]}
    assert set(kinds) == {"visit", "referral"}
    assert kinds["referral"]["referral_id"] == waiting
    assert kinds["referral"]["date"] == days_ago(1).isoformat()
    # 30 days after the last successful visit (the 不在 attempt does not reset it)
    assert kinds["visit"]["date"] == (days_ago(40) + timedelta(days=30)).isoformat()
    assert kinds["visit"]["what"] == "ごみ出しの日を確認"
    assert [f["date"] for f in doc["follow_ups"]] == sorted(f["date"] for f in doc["follow_ups"])


def test_show_text_is_readable_japanese(cli, household, store_dir):
    fill(store_dir, household)
    code, out, err = cli("household", "show", household)
    assert code == 0, err
    assert "訪問記録 2件" in out and "把握シート 1件" in out and "つなぎ 2件" in out
    assert "これからすること 2件" in out
    assert format_wareki(days_ago(40)) in out and "台所が散らかっていた" in out
    assert "地域包括支援センター" in out and "確認中" in out
    assert "日過ぎ" in out
    assert days_ago(40).isoformat() not in out  # 和暦 on screen, not ISO


def test_show_without_records(cli, household):
    code, out, _ = cli("household", "show", household)
    assert code == 0
    assert "訪問記録はありません" in out and "把握シートはありません" in out


def test_staff_outside_district_cannot_show(cli, household, store_dir):
    fill(store_dir, household)
    with opened(store_dir) as store:
        other = districts.find_district(store, "下町").id
    add_account(store_dir, "tanaka", "staff", [other])
    code, out, err = cli("household", "show", household, "--format", "json", user="tanaka")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)


def test_staff_in_district_sees_the_records(cli, household, district, store_dir):
    fill(store_dir, household)
    add_account(store_dir, "tanaka", "staff", [district])
    code, out, err = cli("household", "show", household, "--format", "json", user="tanaka")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["contacts"]) == 2 and len(doc["sheets"]) == 1 and len(doc["follow_ups"]) == 2


# ---- watch ------------------------------------------------------------------------------

def test_watch_list(cli, household, store_dir):
    fill(store_dir, household)
    code, out, err = cli("watch", "list", "--format", "json")
    assert code == 0, err
    [row] = json.loads(out)
    assert row["household_id"] == household and row["overdue_days"] == 10
    assert row["last_contact"] == days_ago(40).isoformat() and row["last_attempt"] == days_ago(5).isoformat()
    code, out, _ = cli("watch", "list", "--until", days_ago(20).isoformat(), "--format", "json")
    assert json.loads(out) == []
    code, out, _ = cli("watch", "list", "--district", "下町")
    assert code == 0 and "ありません" in out
    code, out, _ = cli("watch", "list")
    assert "山田 花子" in out and "10日過ぎ" in out


def test_watch_route_writes_the_pdf(cli, household, store_dir, tmp_path):
    fill(store_dir, household)
    target = tmp_path / "route.pdf"
    code, out, err = cli("watch", "route", "--out", str(target), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["households"] == 1 and doc["path"] == str(target)
    text = "".join(p.extract_text() for p in PdfReader(str(target)).pages).replace(" ", "")
    assert "山田花子" in text and "架空村上町1-2" in text and "取扱注意" in text
    assert "ごみ出しの日を確認" in text and format_wareki(TODAY, weekday=True) in text


def test_watch_route_bad_folder_and_date(cli, household, tmp_path):
    code, _, err = cli("watch", "route", "--out", str(tmp_path / "nowhere" / "r.pdf"))
    assert code == 2
    assert_one_japanese_line(err)
    code, _, err = cli("watch", "route", "--out", str(tmp_path / "r.pdf"), "--date", "明日")
    assert code == 2
    assert not (tmp_path / "r.pdf").exists()


def test_reporter_has_no_route(cli, household, store_dir, tmp_path):
    add_account(store_dir, "care", "reporter")
    code, _, err = cli("watch", "route", "--out", str(tmp_path / "r.pdf"), user="care")
    assert code == 4
    assert not (tmp_path / "r.pdf").exists()


def test_pdftotext_reads_the_route(cli, household, store_dir, tmp_path):
    """The PDF also reads in poppler (what a council's PC viewer would show)."""
    fill(store_dir, household)
    target = tmp_path / "route.pdf"
    assert cli("watch", "route", "--out", str(target))[0] == 0
    try:
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, timeout=60).stdout
    except FileNotFoundError:
        return  # poppler is not installed on every machine
    assert "山田 花子" in text and "訪問予定リスト" in text


def test_route_export_is_audited(cli, initialised, tmp_path):
    from shakyo_desk.store.store import unlock
    import sqlalchemy as sa
    from shakyo_desk.store.models import AuditLog

    from .conftest import PASSPHRASE

    out = tmp_path / "route.pdf"
    code, _, err = cli("watch", "route", "--out", str(out))
    assert code == 0, err
    store = unlock(initialised, "admin", PASSPHRASE)
    with store.read() as s:
        entry = s.execute(sa.select(AuditLog).where(AuditLog.action == "route_pdf.export")).scalar_one()
    assert entry.detail["file"] == "route.pdf"
    store.close()
