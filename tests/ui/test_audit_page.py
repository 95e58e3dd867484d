"""操作の記録 page: filters, paging, the chain check and the CSV export, clicked like a person."""

import csv
import io
import os
from datetime import timedelta
from pathlib import Path

import sqlcipher3
from PySide6.QtWidgets import QComboBox

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, households
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.pages import audit as audit_page
from shakyo_desk.ui.pages.audit import AuditPageWidget
from shakyo_desk.ui.pages.registry import pages_for
from shakyo_desk.domain.roles import Role
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import click, type_text
from shakyo_desk.domain import clock

TODAY = clock.today()


def make_page(qtbot, ctx):
    page = AuditPageWidget(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.refresh()
    return page


def cells(page, column: int) -> list[str]:
    return [page.table.item(r, column).text() for r in range(page.table.rowCount())]


def choose(combo: QComboBox, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_only_admins_have_the_page():
    assert "audit" in [p.key for p in pages_for(Role.ADMIN)]
    for role in (Role.COORDINATOR, Role.STAFF, Role.REPORTER):
        assert "audit" not in [p.key for p in pages_for(role)]


def test_filters_by_group_account_household_and_period(qtbot, ctx, village, tmp_path):
    h = village["households"]
    staff_id = accounts.add_account(ctx.store, "sato", "佐藤 次郎", "staff", "sato passphrase 1", kdf=FAST_KDF)
    accounts.update_account(ctx.store, staff_id, role="coordinator")
    households.get_household(ctx.store, h["yamada"])
    page = make_page(qtbot, ctx)
    assert page.table.rowCount() == len(page.entries) > 10
    assert page.count_label.text() == f"{len(page.entries)}件"
    assert cells(page, 0)[0].startswith("R") and ":" in cells(page, 0)[0]  # 和暦 with the time

    choose(page.group, "account")
    assert "役割の変更" in cells(page, 2)
    row = cells(page, 2).index("役割の変更")
    assert cells(page, 3)[row] == "アカウント：佐藤 次郎（sato）"
    assert cells(page, 4)[row] == "役割：職員 → コーディネーター（地域福祉係）"
    assert page.table.item(row, 2).toolTip() == "アカウント・権限：staff.update"
    choose(page.group, None)

    # a household picked by search: its own entries and its members'
    type_text(qtbot, page.household_search, "ヤマダ")
    assert page.household.currentData() == h["yamada"]
    assert set(cells(page, 2)) == {"世帯の登録", "世帯員の登録", "世帯の閲覧"}
    assert all("山田 花子" in t for t in cells(page, 3))
    choose(page.group, "view")
    assert cells(page, 2) == ["世帯の閲覧"]
    choose(page.group, None)
    click(qtbot, page.clear_household)
    assert page.household.currentData() is None and page.table.rowCount() > 3

    # one account: sato has not done anything yet
    page.refresh()
    choose(page.account, "sato")
    assert page.stack.currentWidget() is page.empty and "条件に合う記録はありません" in page.empty.text()
    choose(page.account, None)

    # the period
    page.date_from.set_date(TODAY + timedelta(days=1))
    click(qtbot, page.apply_button)
    assert page.stack.currentWidget() is page.empty
    page.date_from.set_date(TODAY)
    page.date_to.set_date(TODAY)
    click(qtbot, page.apply_button)
    assert page.table.rowCount() > 10
    page.date_from.edit.setText("きのうの朝")  # (きのう alone is a shortcut for yesterday)
    click(qtbot, page.apply_button)
    assert "期間のはじめ「きのうの朝」は日付として読み取れません" in page.errors.text()


def test_more_loads_the_next_page(qtbot, ctx, village, monkeypatch):
    monkeypatch.setattr(audit_page, "PAGE", 5)
    page = make_page(qtbot, ctx)
    assert page.table.rowCount() == 5 and page.more_button.isEnabled()
    assert page.count_label.text() == "5件を表示（さらにあります）"
    first = [e.id for e in page.entries]
    click(qtbot, page.more_button)
    assert page.table.rowCount() == 10 and [e.id for e in page.entries][:5] == first
    ids = [e.id for e in page.entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 10
    while page.more_button.isEnabled():
        click(qtbot, page.more_button)
    assert page.entries[-1].id == 1 and page.count_label.text() == f"{len(page.entries)}件"


def test_verify_reports_sound_then_the_broken_entry(qtbot, ctx, village, store_dir, executor, ui_settings):
    page = make_page(qtbot, ctx)
    click(qtbot, page.verify_button)
    total = len(page.entries)
    assert page.result.isVisible()
    assert page.result.text() == f"記録はすべて正しくつながっています（{total}件）。"
    assert page.progress is None and page.verify_button.isEnabled()

    key = ctx.store.data_key
    ctx.store.close()
    conn = sqlcipher3.connect(str(store_dir / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("UPDATE audit_log SET login = 'someone' WHERE id = 7")
    conn.commit()
    conn.close()
    ctx.store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        page = make_page(qtbot, ctx)
        click(qtbot, page.verify_button)
        assert "記録の番号 7 で、つながりが切れています" in page.result.text()
    finally:
        ctx.store.close()


def test_export_writes_the_filtered_entries(qtbot, ctx, village, tmp_path, monkeypatch):
    h = village["households"]
    households.get_household(ctx.store, h["suzuki"])
    page = make_page(qtbot, ctx)
    chosen = []

    def fake_save(parent, title, suggested, filters):
        chosen.append((title, suggested, filters))
        return str(tmp_path / "audit-sjis"), filters[1]  # Shift_JIS, no extension typed

    monkeypatch.setattr(audit_page, "ask_save_path", fake_save)
    choose(page.group, "view")
    click(qtbot, page.export_button)
    path = tmp_path / "audit-sjis.csv"
    assert chosen[0][1].endswith(".csv") and "操作の記録" in chosen[0][1]
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"))))
    body = [r for r in rows if len(r) > 8 and r[8] == "household.view"]
    assert len(body) == 1 and body[0][9] == "世帯：鈴木 一郎"
    assert "1件をCSV（Shift_JIS）に書き出しました" in page.result.text()
    # the export is itself on the list now (under 出力)
    choose(page.group, "export")
    assert cells(page, 2) == ["操作の記録（CSV）の出力"]
    assert "audit-sjis.csv" in cells(page, 4)[0]


def test_an_export_refused_says_why(qtbot, ctx, village, tmp_path, monkeypatch):
    page = make_page(qtbot, ctx)
    monkeypatch.setattr(audit_page, "ask_save_path", lambda *a: (str(tmp_path / "missing" / "a.csv"), a[3][0]))
    before = len(page.entries)
    click(qtbot, page.export_button)
    assert "見つかりません" in page.errors.text() and page.export_button.isEnabled()
    page.run_query()
    assert len(page.entries) == before  # nothing written, nothing recorded


def test_screenshot(qtbot, ctx, village, tmp_path):
    households.get_household(ctx.store, village["households"]["yamada"])
    staff_id = accounts.add_account(ctx.store, "sato", "佐藤 次郎", "staff", "sato passphrase 1", kdf=FAST_KDF)
    accounts.update_account(ctx.store, staff_id, role="coordinator")
    page = make_page(qtbot, ctx)
    click(qtbot, page.verify_button)
    folder = Path(os.environ.get("SHAKYO_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "audit.png"
    assert page.grab().save(str(out)) and out.stat().st_size > 10_000


def test_the_head_is_shown_and_a_cut_tail_is_named(qtbot, ctx, village, store_dir, tmp_path):
    from shakyo_desk.store import backup
    from shakyo_desk.store.services import audit_log

    made = backup.create_backup(ctx.store, tmp_path / "b.shakyo-backup")
    page = make_page(qtbot, ctx)
    head = audit_log.head(ctx.store)
    assert f"最新の記録：第{head.entry_id}件" in page.head_label.text()
    assert head.hash[:16] in page.head_label.text() and head.hash in page.head_label.toolTip()
    click(qtbot, page.verify_button)
    assert "控え1件とも合っています" in page.result.text()

    witnessed = backup.read_contents(made.path, ctx.store.data_key).audit_head["id"]
    key = ctx.store.data_key
    ctx.store.close()
    conn = sqlcipher3.connect(str(store_dir / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("DELETE FROM audit_log WHERE id > ?", (witnessed - 10,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (witnessed - 10,))
    conn.commit()
    conn.close()
    ctx.store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        page = make_page(qtbot, ctx)
        click(qtbot, page.verify_button)
        text = page.result.text()
        assert "の記録が消されています" in text and f"では第{witnessed}件まであります" in text
        assert "記録の番号" not in text  # the chain itself holds together: the witness tells
    finally:
        ctx.store.close()
