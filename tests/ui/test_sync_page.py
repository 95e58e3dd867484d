"""The 同期 page and the 要確認 queue with real stores: an office made by init, a laptop
enrolled from it, bundle files written to and read from real folders."""

import os
import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from shakyo_desk.store.exchange import conflicts, devices
from shakyo_desk.store.exchange.importing import ImportReport, ImportResult, quarantine_list
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import districts, households
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.sync.bundle import BundleWriteError
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pages import sync as sync_page
from shakyo_desk.ui.pages.conflicts import ConflictsPage
from shakyo_desk.ui.pages.sync import EXPORTED_TEXT, AddDeviceDialog, EnrolmentCodeDialog, SyncPage
from shakyo_desk.ui.worker import SyncExecutor, ThreadExecutor
from tests.sync.council import carry, enrol, make_office

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"


@pytest.fixture
def council(tmp_path):
    office, _kit = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子", "カクウ ハナコ", address="架空村上町1",
                                         phone="0000-00-0000")
    laptop = enrol(office, tmp_path, "laptop1")
    yield office, laptop, household
    for s in (office, laptop):
        if s.is_open:
            s.close()


def make_ctx(store, ui_settings):
    return AppContext(store=store, executor=SyncExecutor(), ui_settings=ui_settings, council=get_settings(store),
                      kdf=FAST_KDF)


def make_page(qtbot, store, ui_settings, cls=SyncPage):
    page = cls(make_ctx(store, ui_settings))
    qtbot.addWidget(page)
    page.resize(1100, 800)
    page.show()
    page.refresh()
    qtbot.wait(20)  # let the layout settle, as the event loop would before a person clicks
    return page


def column(table, title):
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return headers.index(title)


def cells(table, title):
    c = column(table, title)
    return [table.item(r, c).text() for r in range(table.rowCount())]


def choose_folder(monkeypatch, folder):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))


def message_text(box: QMessageBox) -> str:
    return box.text() + "\n" + box.informativeText()


def test_export_on_one_device_and_import_on_the_other(qtbot, council, tmp_path, ui_settings, monkeypatch):
    office, laptop, household = council
    households.update_household(laptop, household, notes="車の中で記録した")
    laptop_page = make_page(qtbot, laptop, ui_settings)
    assert "laptop1" in laptop_page.device_label.text()
    assert cells(laptop_page.devices_table, "端末名") == ["事務局", "laptop1（この端末）"]
    office_row = cells(laptop_page.devices_table, "端末名").index("事務局")
    waiting = next(d.waiting for d in devices.overview(laptop).devices if d.name == "事務局")
    assert waiting >= 1
    assert cells(laptop_page.devices_table, "未送信の変更")[office_row] == f"{waiting}件"
    assert not laptop_page.add_device_button.isVisible()  # enrolling is for the office only
    assert laptop_page.target.currentData() is None and "全端末" in laptop_page.target.currentText()

    stick = tmp_path / "usb"
    stick.mkdir()
    choose_folder(monkeypatch, stick)
    qtbot.mouseClick(laptop_page.export_button, Qt.MouseButton.LeftButton)
    written = sorted(stick.glob("*.bundle"))
    assert len(written) == 1 and written[0].stat().st_size > 0
    assert not list(stick.glob("*.partial"))
    box = laptop_page.message
    assert box.isVisible() and box.text() == EXPORTED_TEXT
    assert str(written[0]) in box.informativeText() and f"変更{waiting}件を入れました" in box.informativeText()
    assert laptop_page.progress is None and laptop_page.export_button.isEnabled()
    assert "第1号" in cells(laptop_page.devices_table, "最後に渡した")[office_row]

    office_page = make_page(qtbot, office, ui_settings)
    assert office_page.add_device_button.isVisible() and office_page.revoke_button.isVisible()
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(written[0])], "")))
    qtbot.mouseClick(office_page.import_button, Qt.MouseButton.LeftButton)
    summary = office_page.summary
    assert summary is not None and summary.isVisible()
    text = summary.text()
    assert "取り込みが終わりました" in text and "○" in text and "変更1件を取り込みました" in text
    assert "laptop1の第1号" in text
    assert households.get_household(office, household, log=False).notes == "車の中で記録した"
    laptop_row = cells(office_page.devices_table, "端末名").index("laptop1")
    assert cells(office_page.devices_table, "最後に受け取った")[laptop_row].startswith("第1号・")

    # the same file again: nothing to do, said so
    qtbot.mouseClick(office_page.import_button, Qt.MouseButton.LeftButton)
    again = office_page.summary.text()
    assert "－" in again and "取り込み済み" in again


def test_export_in_the_background_thread_reports_progress(qtbot, council, tmp_path, ui_settings, monkeypatch):
    _office, laptop, household = council
    households.update_household(laptop, household, notes="別のスレッドで書き出す")
    executor = ThreadExecutor()
    try:
        ctx = AppContext(store=laptop, executor=executor, ui_settings=ui_settings, kdf=FAST_KDF)
        page = SyncPage(ctx)
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        qtbot.waitUntil(lambda: page.overview is not None, timeout=5000)
        seen = []
        monkeypatch.setattr(page, "_progress_moved", lambda done, total, label: seen.append((done, total, label)))
        stick = tmp_path / "usb"
        stick.mkdir()
        choose_folder(monkeypatch, stick)
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
        assert not page.export_button.isEnabled()  # busy until the worker answers
        qtbot.waitUntil(lambda: page.message is not None, timeout=10000)
        assert page.message.text() == EXPORTED_TEXT and len(list(stick.glob("*.bundle"))) == 1
        assert seen[-1] == (3, 3, "書き出しました")
        assert page.export_button.isEnabled() and page.progress is None
    finally:
        executor.shutdown()


def test_drop_a_folder_onto_the_page_imports_its_bundles(qtbot, council, tmp_path, ui_settings):
    office, laptop, household = council
    households.update_household(laptop, household, address="架空村上町2")
    stick = tmp_path / "usb"
    stick.mkdir()
    from shakyo_desk.store.exchange.exporting import export_bundle

    export_bundle(laptop, stick)
    page = make_page(qtbot, office, ui_settings)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(stick)), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    assert "○" in page.summary.text()
    assert households.get_household(office, household, log=False).address == "架空村上町2"


def test_a_refused_file_is_listed_and_kept(qtbot, council, tmp_path, ui_settings, monkeypatch):
    office, laptop, _household = council
    stick = tmp_path / "usb"
    stick.mkdir()
    from shakyo_desk.store.exchange.exporting import export_bundle

    exported = export_bundle(laptop, stick)
    broken = stick / exported.path.name
    broken.write_bytes(exported.path.read_bytes()[:-200])  # pulled out halfway
    page = make_page(qtbot, office, ui_settings)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(broken)], "")))
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    text = page.summary.text()
    assert "×" in text and "取り込めませんでした" in text and "何も取り込んでいません" in text
    assert len(quarantine_list(office)) == 1
    assert page.quarantine_table.isVisible() and page.quarantine_table.rowCount() == 1
    assert cells(page.quarantine_table, "ファイル名") == [broken.name]
    assert "（1件）" in page.quarantine_box.title()


def test_changes_waiting_behind_a_missing_bundle_are_announced(qtbot, council, tmp_path, ui_settings,
                                                                monkeypatch):
    office, tanaka, household = council
    yamada = enrol(office, tmp_path, "yamada")
    try:
        households.update_household(tanaka, household, notes="一通目")
        carry(tanaka, office, tmp_path / "a")
        carry(office, tanaka, tmp_path / "b", for_device="laptop1")
        households.update_household(tanaka, household, notes="二通目")
        stick = tmp_path / "c"
        stick.mkdir()
        from shakyo_desk.store.exchange.exporting import export_bundle

        second = export_bundle(tanaka, stick, for_device="事務局")  # 山田's laptop can open it too
        page = make_page(qtbot, yamada, ui_settings)
        assert not page.pending_label.isVisible()
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(stick)))
        qtbot.mouseClick(page.import_folder_button, Qt.MouseButton.LeftButton)
        text = page.summary.text()
        assert "「laptop1」の第1号の同期ファイルがまだ届いていません" in text and "保留" in text
        assert page.pending_label.isVisible() and "1か所" in page.pending_label.text()
        assert second.path.exists()
    finally:
        yamada.close()


def test_a_write_error_shows_its_message_and_nothing_else(qtbot, council, tmp_path, ui_settings, monkeypatch):
    _office, laptop, _household = council
    page = make_page(qtbot, laptop, ui_settings)
    full_stick = "USBメモリの空きが足りません。不要なファイルを消すか、別の USBメモリを使ってください。"

    def refuse(*_a, **_k):
        raise BundleWriteError(full_stick)

    monkeypatch.setattr(sync_page, "export_bundle", refuse)
    choose_folder(monkeypatch, tmp_path)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    box = page.message
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == full_stick and box.informativeText() == ""
    assert page.progress is None and page.export_button.isEnabled()


def test_a_write_protected_folder_is_refused_with_a_sentence(qtbot, council, tmp_path, ui_settings, monkeypatch):
    _office, laptop, household = council
    households.update_household(laptop, household, notes="書き込めない USB")
    locked = tmp_path / "locked-stick"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        page = make_page(qtbot, laptop, ui_settings)
        choose_folder(monkeypatch, locked)
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
        box = page.message
        assert box.icon() == QMessageBox.Icon.Warning
        assert box.text() and "取り外して構いません" not in box.text()
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_export_for_one_device_and_revoke_it(qtbot, council, tmp_path, ui_settings, monkeypatch, answers):
    office, _laptop, _household = council
    enrol(office, tmp_path, "laptop2", districts=["上町"]).close()
    page = make_page(qtbot, office, ui_settings)
    assert page.target.findText("laptop2（上町のみ）") >= 0
    page.target.setCurrentIndex(page.target.findText("laptop2（上町のみ）"))
    stick = tmp_path / "usb"
    stick.mkdir()
    choose_folder(monkeypatch, stick)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert "開ける端末：laptop2" in page.message.informativeText()
    assert cells(page.devices_table, "地区") == ["全地区", "全地区", "上町"]

    page.devices_table.setCurrentCell(2, 0)
    replies, asked = answers
    replies.append(False)  # first thought better of it
    qtbot.mouseClick(page.revoke_button, Qt.MouseButton.LeftButton)
    assert "laptop2" in asked[-1]
    assert not any(d.revoked_at for d in devices.overview(office).devices)
    qtbot.mouseClick(page.revoke_button, Qt.MouseButton.LeftButton)
    assert [d.name for d in devices.overview(office).devices if d.revoked_at] == ["laptop2"]
    assert cells(page.devices_table, "状態")[2].startswith("利用停止")
    assert page.target.findText("laptop2（上町のみ）") < 0

    page.devices_table.setCurrentCell(0, 0)
    qtbot.mouseClick(page.revoke_button, Qt.MouseButton.LeftButton)
    assert "この端末自身" in page.errors.text()


def test_the_admin_adds_a_device_and_sees_the_code_once(qtbot, council, tmp_path, ui_settings):
    office, _laptop, _household = council
    page = make_page(qtbot, office, ui_settings)
    qtbot.mouseClick(page.add_device_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, AddDeviceDialog) and dialog.isVisible()
    dialog.name.setText("佐藤さんのノートPC")
    dialog.districts.set_checked(["上町"])
    target = tmp_path / "enrol" / "sato.shakyo"
    target.parent.mkdir()
    dialog.path.setText(str(target))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert target.exists()
    shown = page.dialog
    assert isinstance(shown, EnrolmentCodeDialog) and shown.isVisible()
    code = shown.code_label.text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert code.encode() not in target.read_bytes()
    store = devices.join(tmp_path / "sato-store", target, code, "admin", "correct horse 1", kdf=FAST_KDF)[0]
    store.close()
    assert cells(page.devices_table, "端末名")[-1] == "佐藤さんのノートPC"
    assert cells(page.devices_table, "地区")[-1] == "上町"


def test_a_store_from_before_sync_asks_the_admin_to_print_its_recovery_identity(qtbot, tmp_path, ui_settings):
    root = tmp_path / "old"
    shutil.copytree(FIXTURES / "schema-0002", root)
    store = unlock(root, "admin", "fixture passphrase")
    try:
        identity = devices.unprinted_recovery_identity(store)
        assert identity and identity.startswith("AGE-SECRET-KEY-1")
        page = make_page(qtbot, store, ui_settings)
        assert page.banner.isVisible() and page.identity_label.text() == identity
        qtbot.mouseClick(page.identity_done_button, Qt.MouseButton.LeftButton)
        assert devices.unprinted_recovery_identity(store) is None
        assert not page.banner.isVisible() and page.identity_label.text() == ""
    finally:
        store.close()


# ---- 要確認 ------------------------------------------------------------------------------


def make_conflict(office, laptop, household, tmp_path):
    households.update_household(office, household, phone="0000-11-1111")
    households.update_household(laptop, household, phone="0000-22-2222")
    carry(laptop, office, tmp_path / "a")
    carry(office, laptop, tmp_path / "b")


def test_a_conflict_is_resolved_by_keeping_one_value(qtbot, council, tmp_path, ui_settings, answers):
    office, laptop, household = council
    make_conflict(office, laptop, household, tmp_path)
    [conflict] = conflicts.list_conflicts(office)
    page = make_page(qtbot, office, ui_settings, ConflictsPage)
    assert page.table.rowCount() == 1
    assert cells(page.table, "世帯") == ["架空 花子 さんの世帯"]
    assert cells(page.table, "項目") == [conflict.field_label]
    assert page.detail_box.isVisible() and "電話番号" in page.detail_title.text()
    assert len(page.columns) == 2
    values = {c.choice.value: c for c in page.columns}
    assert set(values) == {"0000-11-1111", "0000-22-2222"}
    texts = [label.text() for label in values["0000-22-2222"].findChildren(QLabel)]
    assert "laptop1" in texts and "事務局" not in texts

    qtbot.mouseClick(values["0000-22-2222"].keep_button, Qt.MouseButton.LeftButton)
    assert "0000-22-2222" in answers[1][-1]
    assert conflicts.list_conflicts(office) == []
    assert households.get_household(office, household, log=False).phone == "0000-22-2222"
    assert page.table.rowCount() == 0 and page.stack.currentWidget() is page.empty
    assert not page.detail_box.isVisible()


def test_the_household_is_opened_from_the_queue_and_says_what_needs_checking(qtbot, council, tmp_path,
                                                                              ui_settings):
    office, laptop, household = council
    make_conflict(office, laptop, household, tmp_path)
    page = make_page(qtbot, office, ui_settings, ConflictsPage)
    qtbot.mouseClick(page.household_button, Qt.MouseButton.LeftButton)
    editor = page.editor
    assert editor is not None and editor.isVisible(), page.errors.text()
    assert editor.conflict_notice.isVisible() and "電話番号" in editor.conflict_notice.text()
    editor.done(0)
    conflicts.resolve_conflict(office, conflicts.list_conflicts(office)[0].id, 1)
    page.refresh()
    assert page.table.rowCount() == 0
    from shakyo_desk.ui.household_editor import HouseholdEditorDialog

    # a fresh editor has nothing to say now

    fresh = HouseholdEditorDialog(page.ctx, households.get_household(office, household), [], page)
    qtbot.addWidget(fresh)
    assert not fresh.conflict_notice.isVisibleTo(fresh)


def test_a_long_text_conflict_is_shown_side_by_side_in_text_boxes(qtbot, council, tmp_path, ui_settings):
    office, laptop, household = council
    households.update_household(office, household, notes="事務局で聞いた話。" * 8)
    households.update_household(laptop, household, notes="訪問して見たこと。" * 8)
    carry(laptop, office, tmp_path / "a")
    page = make_page(qtbot, office, ui_settings, ConflictsPage)
    assert page.table.rowCount() == 1
    boxes = [c.value for c in page.columns]
    assert len(boxes) == 2 and all(b.isReadOnly() for b in boxes)
    assert sorted(b.toPlainText()[:6] for b in boxes) == sorted(["事務局で聞い", "訪問して見た"])


def test_the_navigation_counts_open_conflicts(qtbot, council, tmp_path, ui_settings):
    office, laptop, household = council
    make_conflict(office, laptop, household, tmp_path)
    window = MainWindow(make_ctx(office, ui_settings))
    qtbot.addWidget(window)
    window.show()
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert "要確認（1）" in titles and "同期" in titles
    page = window.show_page("conflicts")
    qtbot.mouseClick(page.columns[0].keep_button, Qt.MouseButton.LeftButton)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert "要確認" in titles and "要確認（1）" not in titles
    window.idle.stop()


def test_staff_of_another_district_neither_enrol_nor_see_that_conflict(qtbot, council, tmp_path, ui_settings):
    office, laptop, household = council
    from shakyo_desk.domain.roles import Role
    from shakyo_desk.store.services import accounts

    other = districts.add_district(office, "下町", "しもまち")
    accounts.add_account(office, "sato", "佐藤 職員", Role.STAFF, "staff passphrase 1", district_ids=[other],
                         kdf=FAST_KDF)
    make_conflict(office, laptop, household, tmp_path)
    staff = unlock(office.layout.root, "sato", "staff passphrase 1")
    try:
        window = MainWindow(make_ctx(staff, ui_settings))
        qtbot.addWidget(window)
        window.show()
        titles = [window.nav.item(i).text() for i in range(window.nav.count())]
        assert "要確認" in titles and "同期" in titles  # 上町's 要確認 is not counted for 下町's staff
        page = window.show_page("sync")
        assert not page.add_device_button.isVisible() and not page.revoke_button.isVisible()
        assert window.show_page("conflicts").table.rowCount() == 0
        window.idle.stop()
    finally:
        staff.close()


def test_the_summary_says_what_became_of_carried_reporters_sheets(qtbot):
    """A drop a bundle carried but left out (store/exchange/drops.py) and what the drop box did
    after the run (services/drops.py) are said in the summary, not only by the CLI."""
    left_out = "報告者のシート1件は、送った端末の確認が付いていないため受け取りませんでした。"
    filed = "報告者から届いた把握シートを1件受け付けました。"
    report = ImportReport(results=[ImportResult(file="a.bundle", status="applied", sender="laptop1", seq=3,
                                                changes=2, applied=2, notes=[left_out])], notices=[filed])
    dialog = sync_page.ImportSummaryDialog(report)
    qtbot.addWidget(dialog)
    text = dialog.text()
    assert "！" + left_out in text and filed in text
