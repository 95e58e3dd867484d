"""The 同期 page and the 要確認 queue with real stores: an office made by init, a laptop
enrolled from it, bundle files written to and read from real folders."""

import errno
import os
import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QWidget

from shakyo_desk.domain import safe_file
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


# ---- dead ends of 端末を追加 and 同期 (issue 17) ----------------------------------------------

ALLOWED_ASCII = {"USB", "PC", "PDF"}


def english_words(text: str, *known: str) -> list[str]:
    """ASCII words in what a clerk reads, once the names the test itself chose (paths, device
    names, file names) are taken out; USBメモリ, ノートPC and PDF are Japanese office words."""
    for name in sorted((str(k) for k in known if k), key=len, reverse=True):
        text = text.replace(name, "")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_.\-]*[A-Za-z]", text) if w not in ALLOWED_ASCII]


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".partial")]


def open_add_device(qtbot, page) -> AddDeviceDialog:
    qtbot.mouseClick(page.add_device_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, AddDeviceDialog) and dialog.isVisible()
    return dialog


def test_a_folder_typed_as_the_destination_gets_the_enrolment_file_inside_it(qtbot, council, tmp_path,
                                                                                ui_settings):
    office, _laptop, _household = council
    page = make_page(qtbot, office, ui_settings)
    dialog = open_add_device(qtbot, page)
    dialog.name.setText("佐藤さんのノートPC")
    stick = tmp_path / "usb"
    stick.mkdir()
    dialog.path.setText(str(stick))  # the stick's drive, typed as a clerk would
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    written = stick / "登録ファイル-佐藤さんのノートPC.shakyo"
    assert not dialog.errors.isVisible(), dialog.errors.text()
    assert sorted(p.name for p in stick.iterdir()) == [written.name] and not partials(tmp_path)
    shown = page.dialog
    assert isinstance(shown, EnrolmentCodeDialog) and shown.isVisible()
    assert str(written) in "\n".join(label.text() for label in shown.findChildren(QLabel))
    store = devices.join(tmp_path / "sato-store", written, shown.code_label.text(), "admin", "correct horse 1",
                         kdf=FAST_KDF)[0]
    store.close()


def test_a_second_file_in_the_same_folder_never_replaces_the_first(tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    first = devices.enrolment_target(stick, "佐藤 PC")
    assert first == stick / "登録ファイル-佐藤_PC.shakyo"
    first.write_bytes(b"an unused enrolment file")
    assert devices.enrolment_target(stick, "佐藤 PC") == stick / "登録ファイル-佐藤_PC-2.shakyo"
    assert devices.enrolment_target(stick / "a.shakyo", "x") == stick / "a.shakyo"
    assert devices.enrolment_target(stick / "sato", "x", add_suffix=True) == stick / "sato.shakyo"


@pytest.mark.parametrize("err, cause", [(errno.ENOSPC, "空き"), (errno.EROFS, "書き込み禁止"),
                                        (errno.EIO, "USBメモリが抜けていないか"), (errno.EINVAL, "使えない文字")])
def test_a_failed_enrolment_write_says_where_and_why_in_japanese(qtbot, council, tmp_path, ui_settings,
                                                                  monkeypatch, err, cause):
    office, _laptop, _household = council
    before = [d.name for d in devices.overview(office).devices]
    page = make_page(qtbot, office, ui_settings)
    dialog = open_add_device(qtbot, page)
    dialog.name.setText("佐藤さんのノートPC")
    stick = tmp_path / "usb"
    stick.mkdir()
    dialog.path.setText(str(stick / "sato.shakyo"))

    def refuse(_src, _dst):  # the stick filled up, was locked or pulled out at the last moment
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(safe_file.os, "replace", refuse)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    text = dialog.errors.text()
    assert dialog.isVisible() and dialog.errors.isVisible()
    assert "登録ファイル" in text and str(stick) in text and cause in text
    assert os.strerror(err) not in text and english_words(text, stick) == []
    assert list(stick.iterdir()) == [] and not partials(tmp_path)
    assert [d.name for d in devices.overview(office).devices] == before  # nothing registered
    assert dialog.create_button.isEnabled()


def test_a_real_failure_under_a_file_leaves_nothing_and_says_so(qtbot, council, tmp_path, ui_settings):
    """Without simulation: a 保存先 inside a file (ENOTDIR) is refused in Japanese, as is a name
    too long for the file system (ENAMETOOLONG, from the real write)."""
    office, _laptop, _household = council
    page = make_page(qtbot, office, ui_settings)
    dialog = open_add_device(qtbot, page)
    dialog.name.setText("佐藤さんのノートPC")
    memo = tmp_path / "memo.txt"
    memo.write_text("a file, not a folder")
    dialog.path.setText(str(memo / "sato.shakyo"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.isVisible() and english_words(dialog.errors.text(), memo) == []
    assert "ファイル" in dialog.errors.text()
    dialog.path.setText(str(tmp_path / ("長" * 200)))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    text = dialog.errors.text()
    assert "長すぎます" in text and english_words(text, tmp_path) == []
    assert not list(tmp_path.glob("*.shakyo")) and not partials(tmp_path)


def test_a_file_chosen_without_the_suffix_gets_it(qtbot, council, tmp_path, ui_settings, monkeypatch):
    office, _laptop, _household = council
    page = make_page(qtbot, office, ui_settings)
    dialog = open_add_device(qtbot, page)
    dialog.name.setText("佐藤さんのノートPC")
    stick = tmp_path / "usb"
    stick.mkdir()
    asked = {}

    def fake_exec(box):  # the person typed "sato" in a save dialog that did not add the suffix
        asked["suffix"], asked["filters"] = box.defaultSuffix(), box.nameFilters()
        return QFileDialog.DialogCode.Accepted

    monkeypatch.setattr(QFileDialog, "exec", fake_exec)
    monkeypatch.setattr(QFileDialog, "selectedFiles", lambda box: [str(stick / "sato")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(stick / "sato"), "")))
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    assert dialog.path.text() == str(stick / "sato.shakyo")
    assert asked["suffix"] == "shakyo" and any("*.shakyo" in f for f in asked["filters"])
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert [p.name for p in stick.iterdir()] == ["sato.shakyo"]

    # typed without the suffix: the file gets it too (the join wizard looks for .shakyo first)
    dialog = open_add_device(qtbot, page)
    dialog.name.setText("山田さんのノートPC")
    dialog.path.setText(str(stick / "yamada"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert sorted(p.name for p in stick.iterdir()) == ["sato.shakyo", "yamada.shakyo"]


@pytest.mark.parametrize("err, cause", [(errno.ENOSPC, "空き"), (errno.EIO, "USBメモリが抜けていないか"),
                                        (errno.EACCES, "書き込み禁止")])
def test_a_failed_bundle_write_says_where_and_why_in_japanese(qtbot, council, tmp_path, ui_settings,
                                                               monkeypatch, err, cause):
    _office, laptop, household = council
    households.update_household(laptop, household, notes="書けない USB")
    page = make_page(qtbot, laptop, ui_settings)
    stick = tmp_path / "usb"
    stick.mkdir()
    choose_folder(monkeypatch, stick)

    def refuse(_src, _dst):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(safe_file.os, "replace", refuse)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    box = page.message
    text = message_text(box)
    assert box.icon() == QMessageBox.Icon.Warning and "同期ファイル" in text
    assert str(stick) in text and cause in text
    assert os.strerror(err) not in text and english_words(text, stick) == []
    assert list(stick.iterdir()) == []  # neither the file nor its .partial


def coordinator_at(office, login="suzuki"):
    from shakyo_desk.domain.roles import Role
    from shakyo_desk.store.services import accounts

    accounts.add_account(office, login, "鈴木 コーディネーター", Role.COORDINATOR, "coordinator pass 1", kdf=FAST_KDF)
    return unlock(office.layout.root, login, "coordinator pass 1")


def test_a_coordinator_with_nobody_to_give_to_is_told_before_any_folder_is_asked(qtbot, tmp_path, ui_settings,
                                                                                  monkeypatch):
    office, _kit = make_office(tmp_path)  # no laptop has been added yet
    coordinator = coordinator_at(office)
    try:
        def no_dialog(*_a, **_k):
            raise AssertionError("a folder was asked for though there is nobody to give the file to")

        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(no_dialog))
        page = make_page(qtbot, coordinator, ui_settings)
        said = page.export_blocked.text()
        assert page.export_blocked.isVisible() and not page.export_button.isEnabled()
        assert "管理者" in said and "まだ登録されていません" in said
        assert "先に「端末の追加」で登録してください" not in said and "押して" not in said
        page.export()  # (a shortcut, or a click before the page had loaded) says the same, asks nothing
        box = page.message
        assert box is not None and box.text() == said
        assert not page.add_device_button.isVisible()
        assert page.import_button.isEnabled()  # reading a file in is still possible
    finally:
        coordinator.close()
        office.close()


def test_the_admin_with_nobody_to_give_to_is_pointed_at_the_button_beside_it(qtbot, tmp_path, ui_settings,
                                                                              monkeypatch):
    office, _kit = make_office(tmp_path)
    try:
        page = make_page(qtbot, office, ui_settings)
        assert not page.export_button.isEnabled() and page.add_device_button.isVisible()
        assert "「端末を追加」" in page.export_blocked.text()
        enrol(office, tmp_path, "laptop1").close()
        page.refresh()
        assert page.export_button.isEnabled() and not page.export_blocked.isVisible()
    finally:
        office.close()


def test_a_refusal_for_the_chosen_device_comes_before_the_folder(qtbot, council, tmp_path, ui_settings,
                                                                 monkeypatch):
    """A laptop cannot write for a district-limited laptop (only the office can): said on
    pressing the button, before the folder dialog."""
    office, laptop, _household = council
    enrol(office, tmp_path, "laptop2", districts=["上町"]).close()
    carry(office, laptop, tmp_path / "roster", for_device="laptop1")
    page = make_page(qtbot, laptop, ui_settings)
    page.target.setCurrentIndex(page.target.findText("laptop2（上町のみ）"))

    def no_dialog(*_a, **_k):
        raise AssertionError("asked for a folder for a file that cannot be written")

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(no_dialog))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert "事務局の端末から書き出してください" in page.message.text()


def visible_texts(root) -> list[str]:
    """Every text a person can read under ``root``: labels, buttons, check boxes, group titles,
    table headers and cells, combo items, tool tips and window titles."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QGroupBox, QTableWidget

    texts = [root.windowTitle()]
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        texts.append(widget.toolTip())
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QTableWidget):
            for c in range(widget.columnCount()):
                header = widget.horizontalHeaderItem(c)
                texts.append(header.text() if header else "")
                for r in range(widget.rowCount()):
                    item = widget.item(r, c)
                    texts.append(item.text() if item else "")
    if isinstance(root, QMessageBox):
        texts.extend([root.text(), root.informativeText()])
    return [t for t in texts if t]


ONE_FILE_NAME_EXPLANATION = "名前の最後が .bundle"


def jargon(texts: list[str], *known: str) -> list[str]:
    found = []
    for text in texts:
        lowered = text.replace(ONE_FILE_NAME_EXPLANATION, "")
        for name in sorted((str(k) for k in known if k), key=len, reverse=True):
            lowered = lowered.replace(name, "")
        found += [w for w in ("quarantine", "partial", "bundle") if w in lowered.lower()]
        found += english_words(lowered)
    return found


def test_the_sync_page_and_its_dialogs_speak_japanese(qtbot, council, tmp_path, ui_settings, monkeypatch):
    office, laptop, _household = council
    stick = tmp_path / "usb"
    stick.mkdir()
    from shakyo_desk.store.exchange.exporting import export_bundle

    exported = export_bundle(laptop, stick)
    broken = stick / exported.path.name
    broken.write_bytes(exported.path.read_bytes()[:-200])  # pulled out halfway: quarantined
    (stick / "memo.txt").write_text("not a bundle")
    (stick / "half.bundle.partial").write_bytes(b"half")
    page = make_page(qtbot, office, ui_settings)
    known = [broken.name, "memo.txt", "half.bundle.partial", "laptop1", stick, tmp_path]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(
        lambda *a, **k: ([str(broken), str(stick / "memo.txt"), str(stick / "half.bundle.partial")], "")))
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    summary_texts = visible_texts(page.summary) + [page.summary.text()]
    page.summary.close()
    assert page.quarantine_table.isVisible()
    kept = [q["kept_as"] for q in quarantine_list(office)]
    page_texts = visible_texts(page)
    assert jargon(page_texts, *known, *kept) == [], page_texts
    assert jargon(summary_texts, *known) == [], summary_texts

    empty = sync_page.ImportSummaryDialog(ImportReport(results=[]))
    qtbot.addWidget(empty)
    assert jargon(visible_texts(empty) + [empty.text()]) == []

    dialog = open_add_device(qtbot, page)
    assert jargon(visible_texts(dialog)) == []
    dialog.reject()
    code = EnrolmentCodeDialog("ABCD-EFGH-JKMN", "佐藤さんのノートPC", str(stick / "sato.shakyo"))
    qtbot.addWidget(code)
    assert jargon(visible_texts(code), "ABCD-EFGH-JKMN", stick / "sato.shakyo") == []

    # the copies of refused files: a button opens their folder
    opened = []
    monkeypatch.setattr(sync_page.QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    assert page.open_kept_button.isVisible()
    qtbot.mouseClick(page.open_kept_button, Qt.MouseButton.LeftButton)
    assert [Path(u.toLocalFile()) for u in opened] == [office.layout.root / "quarantine"]
