"""操作の記録 (issue 6): the viewer's query, labels, paging, the chain check and the CSV."""

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.reports import audit_csv, stats_csv
from shakyo_desk.reports.handouts import export_handout
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import (
    accounts, agencies, audit_log, conferences, consents, contacts, districts, households, referrals, sheets, stats,
)
from shakyo_desk.store.services.audit_log import AuditFilters
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.store import unlock
from tests.store.conftest import PASSPHRASE, login_as
from tests.sync.council import carry, enrol, make_office
from shakyo_desk.domain import clock

TODAY = clock.today()


def actions(page) -> list[str]:
    return [e.action for e in page.entries]


@pytest.fixture
def town(store, district):
    """Two households; the first with a member, a contact, a sheet, a referral and a consent."""
    yamada = households.add_household(store, district, "山田 花子", "ヤマダ ハナコ")
    son = households.add_person(store, yamada, "山田 一郎", relation="子")
    sato = households.add_household(store, district, "佐藤 キヨ", "サトウ キヨ")
    contact = contacts.add_contact(store, household_id=yamada, method="訪問", seen_heard="元気そう")
    sheet = sheets.file_sheet(store, household_id=yamada, concerns=["介護"], urgency="早め")
    agency = agencies.add_agency(store, "地域包括支援センター", field="高齢")
    referral = referrals.add_referral(store, agency, "介護の相談", household_id=yamada)
    consent = consents.add_consent(store, son, ["all"], given_on=TODAY, today=TODAY)
    households.update_household(store, sato, phone="0265-00-0000")
    return {"yamada": yamada, "son": son, "sato": sato, "contact": contact, "sheet": sheet, "referral": referral,
            "consent": consent}


# ---- filters ----------------------------------------------------------------------------------

def test_household_filter_finds_the_household_and_what_hangs_on_it(store, town):
    households.get_household(store, town["yamada"])  # a view
    page = audit_log.query(store, household_id=town["yamada"])
    ids = {e.entity_id for e in page.entries}
    for key in ("yamada", "son", "contact", "sheet", "referral", "consent"):
        assert town[key] in ids, key
    assert town["sato"] not in ids
    assert "household.view" in actions(page) and "concern_sheet.insert" in actions(page)
    # the other household's own entries are not mixed in, and its phone change is found for it
    sato = audit_log.query(store, household_id=town["sato"])
    assert {e.entity_id for e in sato.entries} <= {town["sato"]} | {
        m.id for m in households.get_household(store, town["sato"], log=False).members}
    assert [e.label for e in sato.entries if e.action == "household.update"] == ["世帯の変更"]
    # newest first
    assert [e.id for e in page.entries] == sorted((e.id for e in page.entries), reverse=True)
    # targets name the household the record belongs to
    contact_entry = next(e for e in page.entries if e.entity_id == town["contact"])
    assert contact_entry.target == "訪問記録（山田 花子 世帯）"


def test_household_and_group_filters_combine(store, town):
    households.get_household(store, town["yamada"])
    households.get_household(store, town["sato"])
    views = audit_log.query(store, household_id=town["yamada"], action_group="view")
    assert actions(views) == ["household.view"]
    assert views.entries[0].group_label == "閲覧" and views.entries[0].label == "世帯の閲覧"
    assert views.entries[0].target == "世帯：山田 花子"


def test_login_and_period_filters(store, town):
    tanaka = login_as(store, "tanaka", "coordinator")
    try:
        households.get_household(tanaka, town["sato"])
    finally:
        tanaka.close()
    mine = audit_log.query(store, login="tanaka")
    assert {e.login for e in mine.entries} == {"tanaka"}
    assert set(actions(mine)) == {"session.unlock", "household.view"}
    assert mine.entries[0].staff_name == "tanaka" and mine.entries[0].group_label == "閲覧"
    assert actions(audit_log.query(store, login="tanaka", action_group="login")) == ["session.unlock"]
    # the period is in local calendar days, both ends included
    assert len(audit_log.query(store, start=TODAY, end=TODAY).entries) == len(audit_log.query(store).entries)
    assert audit_log.query(store, end=TODAY - timedelta(days=1)).entries == ()
    assert audit_log.query(store, start=TODAY + timedelta(days=1)).entries == ()
    with pytest.raises(InvalidInput, match="はじめ"):
        audit_log.query(store, start=TODAY, end=TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="操作の種類"):
        audit_log.query(store, action_group="nonsense")


def test_paging_walks_every_entry_once(store, town):
    with store.read() as s:
        total = s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar()
    seen, before, pages = [], None, 0
    while True:
        page = audit_log.query(store, limit=7, before_id=before)
        seen += [e.id for e in page.entries]
        pages += 1
        if not page.more:
            break
        before = page.next_before_id
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 7)
    assert seen == sorted(seen, reverse=True)
    change = audit_log.query(store, action_group="change", limit=5)
    rest = audit_log.query(store, action_group="change", limit=5, before_id=change.next_before_id)
    assert not {e.id for e in change.entries} & {e.id for e in rest.entries}
    assert all(e.group == "change" for e in change.entries + rest.entries)


def test_only_admins_read_the_log(store, town):
    coordinator = login_as(store, "kato", "coordinator")
    try:
        with pytest.raises(PermissionDenied, match="管理者"):
            audit_log.query(coordinator)
        with pytest.raises(PermissionDenied):
            audit_log.verify(coordinator)
    finally:
        coordinator.close()


# ---- what is logged, found through the viewer ------------------------------------------------

def test_account_role_change_and_disabling_read_as_account_entries(store, district):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 次郎", "staff", "suzuki passphrase", kdf=FAST_KDF)
    accounts.update_account(store, staff_id, role="coordinator")
    accounts.disable_account(store, staff_id)
    page = audit_log.query(store, action_group="account")
    role, disabled = (next(e for e in page.entries if e.label == label) for label in ("役割の変更", "アカウントの無効化"))
    assert role.action == disabled.action == "staff.update"
    assert role.group_label == "アカウント・権限" and role.target == "アカウント：鈴木 次郎（suzuki）"
    assert role.summary == "役割：職員 → コーディネーター（地域福祉係）"
    assert role.detail["before"] == {"role": "staff"} and role.detail["after"] == {"role": "coordinator"}
    assert disabled.summary == "無効にしました"
    assert audit_log.query(store, action_group="change").entries  # other changes stay 登録・変更
    assert all(e.entity != "staff" for e in audit_log.query(store, action_group="change").entries)
    assert check_store(store).sound  # the extra detail is inside the chain


def test_passphrase_change_is_an_account_entry(store):
    accounts.change_passphrase(store, PASSPHRASE, "a brand new passphrase", kdf=FAST_KDF)
    [entry] = [e for e in audit_log.query(store, action_group="account").entries
               if e.action == "account.passphrase_changed"]
    assert entry.label == "パスフレーズの変更" and entry.login == "admin"


def test_household_view_is_logged(store, town):
    households.get_household(store, town["sato"])
    [entry] = audit_log.query(store, action_group="view").entries
    assert (entry.action, entry.entity_id, entry.target) == ("household.view", town["sato"], "世帯：佐藤 キヨ")


def test_handout_and_stats_csv_exports_are_output_entries(store, town, tmp_path):
    conference_id = conferences.add_conference(
        store, "support", TODAY, members=["田中 太郎/地域包括支援センター", "鈴木 花子/役場"],
        cases=[(town["yamada"], "介護の分担")], today=TODAY)
    export_handout(store, conference_id, tmp_path / "handout.pdf")
    stats_csv.export_csv(store, stats.yearly_figures(store, TODAY.year if TODAY.month >= 4 else TODAY.year - 1),
                         tmp_path / "stats.csv")
    page = audit_log.query(store, action_group="export")
    by_action = {e.action: e for e in page.entries}
    handout = by_action["handout.export"]
    assert handout.label == "会議資料（PDF）の出力" and handout.summary == "2部（配布番号 1、2）・handout.pdf"
    assert handout.target.startswith("会議：支援会議")
    assert by_action["stats_csv.export"].label == "統計（CSV）の出力"
    assert "stats.csv" in by_action["stats_csv.export"].summary
    # the handout concerns the household: found from it through the conference
    assert "handout.export" in actions(audit_log.query(store, household_id=town["yamada"], action_group="export"))
    assert audit_log.query(store, household_id=town["sato"], action_group="export").entries == ()


def test_bundle_import_is_a_sync_entry(tmp_path):
    office, _ = make_office(tmp_path)
    try:
        laptop = enrol(office, tmp_path, "ノートPC1")
        households.add_household(office, districts.add_district(office, "上町"), "山田 花子")
        carry(office, laptop, tmp_path / "usb1")
        carry(laptop, office, tmp_path / "usb2")
        page = audit_log.query(office, action_group="sync")
        imported = next(e for e in page.entries if e.action == "sync.import")
        assert imported.label == "同期ファイルの取り込み" and "ノートPC1" in imported.summary
        assert "sync.export" in actions(page)
        laptop.close()
    finally:
        office.close()


def test_unknown_actions_show_their_own_name(store):
    log_export(store, "mystery_pdf", {"file": "x.pdf"})
    with store.write() as w:
        w.audit("store.frobnicate", detail={"n": 3})
    other = audit_log.query(store, action_group="other")
    assert [e.label for e in other.entries if e.action == "store.frobnicate"] == ["store.frobnicate"]
    mystery = next(e for e in audit_log.query(store, action_group="export").entries if e.action == "mystery_pdf.export")
    assert mystery.label == "mystery_pdf.export" and mystery.summary == "x.pdf"


# ---- tampering ---------------------------------------------------------------------------------

def _raw(store_dir, data_key: bytes, sql: str) -> None:
    """Edit the SQLCipher file behind the application's back."""
    conn = sqlcipher3.connect(str(store_dir / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("sql, broken", [
    ("UPDATE audit_log SET detail = '{\"fields\": [\"phone\"]}' WHERE id = 21", 21),
    ("DELETE FROM audit_log WHERE id = 21", 22),
])
def test_tampering_on_the_file_is_reported_with_the_entry(store, store_dir, town, sql, broken):
    report = audit_log.verify(store)
    assert report.sound and report.entries > 30
    key = store.data_key
    store.close()
    _raw(store_dir, key, sql)
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        steps = []
        report = audit_log.verify(store, lambda done, total: steps.append((done, total)), batch=10)
        assert report.broken_at == broken and not report.sound
        assert steps[0][0] == 0 and len(steps) >= 2
        assert any("監査ログ" in p and str(broken) in p for p in check_store(store).problems)
    finally:
        store.close()


def test_verify_reports_progress_to_the_end(store, town):
    steps = []
    report = audit_log.verify(store, lambda done, total: steps.append((done, total)), batch=10)
    assert report.sound and steps[-1] == (report.entries, report.entries)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


# ---- the CSV for an inspection -----------------------------------------------------------------

@pytest.mark.parametrize("encoding, codec", [("utf-8", "utf-8-sig"), ("cp932", "cp932")])
def test_csv_reads_back_in_both_encodings(store, district, tmp_path, encoding, codec):
    household = households.add_household(store, district, "山田 花子", "ヤマダ ハナコ")
    # a name Excel would run as a formula, at the start of the 氏名 cell of the entries it makes
    admin = accounts.get_account(store, "admin")
    accounts.update_account(store, admin.id, display_name="=HYPERLINK(\"http://x\",\"押して\")")
    store = unlock(store.layout.root, "admin", PASSPHRASE)  # the new name is the actor's from now on
    try:
        households.get_household(store, household)
        path = tmp_path / f"audit-{encoding}.csv"
        result = audit_csv.export_csv(store, path, AuditFilters(household_id=household), encoding=encoding)
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
        rows = list(csv.reader(io.StringIO(raw.decode(codec))))
        assert rows[0] == ["操作の記録（社協デスク）"]
        header = rows.index(list(audit_csv.HEADERS))
        body = rows[header + 1:]
        assert len(body) == result.rows == 3  # household insert, person insert, view
        assert [r[8] for r in body] == ["household.view", "person.insert", "household.insert"]
        view = body[0]
        assert view[7] == "世帯の閲覧" and view[6] == "閲覧" and view[3] == "admin" and view[9] == "世帯：山田 花子"
        assert view[4] == "'=HYPERLINK(\"http://x\",\"押して\")"  # neutralised
        assert view[1].startswith("令和") and datetime.fromisoformat(view[2]).date() == TODAY
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
        assert ["条件：世帯", household] in rows and ["件数", "3"] in rows
        # the export itself is recorded, with what it selected
        [entry] = [e for e in audit_log.query(store, action_group="export").entries if e.action == "audit.export"]
        assert entry.label == "操作の記録（CSV）の出力" and entry.summary == f"{path.name}・{encoding}・3件"
        assert entry.detail["rows"] == 3 and entry.detail["filters"]["household_id"] == household
    finally:
        store.close()


def test_cp932_writes_a_character_it_cannot_hold_as_geta(store, district, tmp_path):
    households.add_household(store, district, "𠮷田 花子", "ヨシダ ハナコ")
    path = tmp_path / "sjis.csv"
    audit_csv.export_csv(store, path, AuditFilters(action_group="change"), encoding="cp932")
    text = path.read_bytes().decode("cp932")
    assert "〓田 花子" in text and "𠮷" not in text


def test_csv_refuses_a_folder_and_writes_nothing(store, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    before = len(audit_log.query(store).entries)
    with pytest.raises(InvalidInput, match="フォルダ"):
        audit_csv.export_csv(store, tmp_path)
    with pytest.raises(InvalidInput, match="文字コード"):
        audit_csv.export_csv(store, tmp_path / "x.csv", encoding="latin-1")
    assert len(audit_log.query(store).entries) == before and list(tmp_path.iterdir()) == []


def test_every_action_the_app_audits_has_japanese_words():
    """The 操作の記録 page names each action in Japanese: every action written anywhere in the
    code (a literal, or a module's named constant) has its label, not its code name."""
    import re
    from pathlib import Path

    from shakyo_desk.store import council_key
    from shakyo_desk.store.services.audit_log import action_label

    source = Path(audit_log.__file__).parents[2]
    written = {m for path in source.rglob("*.py")
               for m in re.findall(r"audit\(\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text(encoding="utf-8"))}
    written.add(council_key.MOVED)
    assert len(written) > 30  # the scan finds them
    unnamed = sorted(a for a in written if action_label(a) == a or re.search(r"[a-z]", action_label(a)))
    assert unnamed == []
