"""The drop box on the 把握シート page (issue 16): a coordinator sees reporters' sheets waiting,
files them on the worker, and deals with the files that could not be filed."""

import threading

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QPushButton

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import dropbox
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog, ConcernSheet
from shakyo_desk.store.services import accounts, drops, sheets
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui import drop_box as drop_box_module
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages.sheets import SheetsPage
from shakyo_desk.ui.worker import SyncExecutor, ThreadExecutor
from tests.ui.helpers import click

COORD_PASS = "coord passphrase 1"
CARE_PASS = "care passphrase 1"


@pytest.fixture
def council(store, store_dir):
    """The admin adds a coordinator and a reporter; the coordinator is unlocked (their unlock
    files what was waiting then), the reporter too. Yields (coordinator, reporter)."""
    accounts.add_account(store, "coord", "調整 花子", Role.COORDINATOR, COORD_PASS, kdf=FAST_KDF)
    accounts.add_account(store, "care1", "介護 次郎", Role.REPORTER, CARE_PASS, section="介護保険事業所", kdf=FAST_KDF)
    drops.publish(store)  # drop_to and the form's catalogue, as the admin's next unlock would
    store.close()
    coordinator = unlock(store_dir, "coord", COORD_PASS)
    reporter = unlock(store_dir, "care1", CARE_PASS)
    yield coordinator, reporter
    if coordinator.is_open:
        coordinator.close()


def drop(reporter, hint: str) -> str:
    return sheets.file_sheet(reporter, household_hint=hint, concerns=[reporter.concern_names()[0]], urgency="早め",
                             situation="新聞がたまっている")


def make_page(qtbot, store, executor, ui_settings):
    ctx = AppContext(store=store, executor=executor, ui_settings=ui_settings, council=get_settings(store),
                     kdf=FAST_KDF)
    page = SheetsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    page.refresh()
    return page


def bold_rows(table) -> list[int]:
    return [r for r in range(table.rowCount()) if all(table.item(r, c).font().bold() for c in range(table.columnCount()))]


def test_waiting_sheets_are_counted_and_filed_on_the_worker(qtbot, council, ui_settings, monkeypatch):
    coordinator, reporter = council
    mine = drop(reporter, "北町の角の家")
    threads = []
    real = drop_box_module.open_drop_box

    def recording(store):
        threads.append(threading.current_thread())
        return real(store)

    monkeypatch.setattr(drop_box_module, "open_drop_box", recording)
    executor = ThreadExecutor()
    try:
        page = make_page(qtbot, coordinator, executor, ui_settings)
        bar = page.drop_box
        qtbot.waitUntil(lambda: "：1件" in bar.count_label.text(), timeout=5000)
        qtbot.waitUntil(lambda: page.table.isVisible() or page.empty.isVisible(), timeout=5000)
        assert page.table.rowCount() == 0
        assert not bar.quarantine_button.isVisible()

        click(qtbot, bar.receive_button)
        assert not bar.receive_button.isEnabled()  # while the worker files
        qtbot.waitUntil(lambda: bar.receive_button.isEnabled() and page.table.rowCount() == 1, timeout=5000)
        assert threads and threads[0] is not threading.main_thread()
        assert page.table.item(0, 2).text() == "北町の角の家"
        assert bar.notice.isVisible() and "1件受け付けました" in bar.notice.text()
        qtbot.waitUntil(lambda: "ありません" in bar.count_label.text(), timeout=5000)
        qtbot.waitUntil(lambda: page.inbox_table.rowCount() == 1, timeout=5000)
        assert bold_rows(page.table) == [0] and bold_rows(page.inbox_table) == [0]  # shown as new
        assert page.table.currentRow() == 0
        with coordinator.read() as s:
            assert s.get(ConcernSheet, mine) is not None
        assert not dropbox.sheet_files(coordinator.layout.root)
    finally:
        executor.shutdown()


def test_a_garbage_file_is_listed_with_its_reason_and_deleted_after_confirmation(qtbot, council, ui_settings,
                                                                                 answers):
    coordinator, reporter = council
    replies, asked = answers
    root = coordinator.layout.root
    (root / "dropbox" / "usb-copy.sheet").write_bytes(b"not a drop at all")
    good = drop(reporter, "南の坂の家")
    page = make_page(qtbot, coordinator, SyncExecutor(), ui_settings)
    bar = page.drop_box
    assert "：1件" in bar.count_label.text()  # the garbage is sealed to nobody

    click(qtbot, bar.receive_button)
    assert "1件受け付けました" in bar.notice.text() and "1件のファイルは受け付けられませんでした" in bar.notice.text()
    assert [s.id for s in page.rows] == [good]
    assert bar.quarantine_button.isVisible() and "（1件）" in bar.quarantine_button.text()

    dialog = bar.show_quarantine()
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 2).text() == dropbox.NOT_A_DROP
    assert dialog.table.item(0, 1).text() == "（不明）"
    assert dialog.table.item(0, 0).text().startswith("R")  # 和暦 date and time, not the file's name
    name = dialog.items[0].name
    assert (root / "dropbox" / "quarantine" / name).exists()

    replies.append(False)  # いいえ: nothing is lost
    click(qtbot, dialog.delete_button)
    assert "元に戻せません" in asked[-1]
    assert (root / "dropbox" / "quarantine" / name).exists()

    replies.append(True)
    click(qtbot, dialog.delete_button)
    assert not (root / "dropbox" / "quarantine" / name).exists()
    assert not (root / "dropbox" / "quarantine" / f"{name}.txt").exists()
    assert dialog.table.rowCount() == 0 and dialog.empty.isVisible()
    assert not bar.quarantine_button.isVisible()
    with coordinator.read() as s:
        audited = s.execute(sa.select(AuditLog.action, AuditLog.detail).where(AuditLog.action.like("dropbox.%"))
                            .order_by(AuditLog.id)).all()
    assert [a for a, _d in audited] == ["dropbox.quarantined", "dropbox.quarantine_deleted"]
    assert audited[1][1] == {"file": name, "reason": dropbox.NOT_A_DROP, "from": ""}


def test_a_fixed_file_is_filed_again(qtbot, council, ui_settings):
    coordinator, reporter = council
    root = coordinator.layout.root
    mine = drop(reporter, "川沿いの家")
    path = root / "dropbox" / f"{mine}.sheet"
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2])  # cut short on the way (a copy that stopped)
    page = make_page(qtbot, coordinator, SyncExecutor(), ui_settings)
    bar = page.drop_box
    click(qtbot, bar.receive_button)
    dialog = bar.show_quarantine()
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 2).text() == dropbox.NOT_A_DROP
    name = dialog.items[0].name
    (root / "dropbox" / "quarantine" / name).write_bytes(original)  # the whole file, copied again
    dialog.show_items(drops.list_quarantined(coordinator))
    assert dialog.table.item(0, 1).text() == "介護 次郎"  # readable now: the sender from the header

    click(qtbot, dialog.retry_button)
    assert "受け付けました" in dialog.result.text()
    assert [s.id for s in page.rows] == [mine] and bold_rows(page.table) == [0]
    assert "1件受け付けました" in bar.notice.text()
    assert dialog.table.rowCount() == 0 and not bar.quarantine_button.isVisible()
    assert not list((root / "dropbox" / "quarantine").iterdir())


def test_a_file_still_broken_stays_aside_with_its_reason(qtbot, council, ui_settings):
    coordinator, _reporter = council
    root = coordinator.layout.root
    (root / "dropbox" / "junk.sheet").write_bytes(b"{}")
    page = make_page(qtbot, coordinator, SyncExecutor(), ui_settings)
    click(qtbot, page.drop_box.receive_button)
    dialog = page.drop_box.show_quarantine()
    qtbot.addWidget(dialog)
    click(qtbot, dialog.retry_button)
    assert "受け付けられませんでした" in dialog.result.text() and dropbox.NOT_A_DROP in dialog.result.text()
    assert dialog.table.rowCount() == 1 and len(dropbox.quarantined(root)) == 1


@pytest.mark.parametrize("role", [Role.STAFF, Role.REPORTER])
def test_staff_and_reporters_do_not_see_the_drop_box(qtbot, store, store_dir, ui_settings, role):
    accounts.add_account(store, "other", "他 三郎", role, "other passphrase 1", kdf=FAST_KDF)
    session = unlock(store_dir, "other", "other passphrase 1")
    try:
        page = make_page(qtbot, session, SyncExecutor(), ui_settings)
        assert page.drop_box is None
        texts = [b.text() for b in page.findChildren(QPushButton)]
        assert not any("受け付け" in t for t in texts), texts
    finally:
        session.close()
    with pytest.raises(PermissionDenied):
        drops.waiting_count(session)
