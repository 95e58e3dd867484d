"""Renders the 同期 and 要確認 screens with real stores (office, two laptops, a missing bundle,
a refused file, conflicts); saves PNGs when SHAKYO_SCREENSHOTS names a folder."""

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.store import unlock
from shakyo_desk.sync.bundle import BundleWriteError
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pages import sync as sync_page
from shakyo_desk.ui.pages.sync import EnrolmentCodeDialog
from tests.sync.council import carry, enrol, make_office
from tests.ui.test_screenshots import save as save_now
from tests.ui.test_sync_page import FIXTURES, make_ctx
from shakyo_desk.domain import clock

SITUATION_OFFICE = ("娘さんから電話。母は最近、食事の量が減っていて、夜に何度も起きているとのこと。"
                    "デイサービスの利用を勧めたが、本人は「まだ大丈夫」と話している。来週、包括と一緒に訪問する予定。")
SITUATION_LAPTOP = ("訪問した。玄関先で10分ほど話す。表情は明るく、畑の話をしてくれた。"
                    "台所に空の弁当容器が多い。配食サービスの話をすると「考えてみる」とのこと。"
                    "灯油の残りが少ないので、民生委員さんに伝えた。")


def test_screenshots_sync(qtbot, tmp_path, ui_settings, monkeypatch):
    def save(widget, name):
        qtbot.wait(30)
        save_now(widget, name)

    office, _kit = make_office(tmp_path)
    kami = districts.add_district(office, "上町", "かみまち")
    shimo = districts.add_district(office, "下町", "しもまち")
    hanako = households.add_household(office, kami, "架空 花子", "カクウ ハナコ", address="架空村上町1-3",
                                      phone="0000-12-3456")
    ichiro = households.add_household(office, shimo, "架空 一郎", "カクウ イチロウ", address="架空村下町8")
    tanaka = enrol(office, tmp_path, "田中さんのノートPC")
    sato = enrol(office, tmp_path, "佐藤さんのノートPC", districts=["下町"])
    lost = enrol(office, tmp_path, "貸出用ノートPC")
    lost.close()
    yamada = enrol(office, tmp_path, "山田さんのノートPC")
    try:
        # conflicts: a phone number and a long situation written on both sides
        households.update_household(office, hanako, phone="0000-11-1111", notes=SITUATION_OFFICE)
        households.update_household(tanaka, hanako, phone="0000-22-2222", notes=SITUATION_LAPTOP)
        contacts.add_contact(tanaka, household_id=hanako, contact_date=clock.today(), seen_heard="玄関先で話した。")
        carry(tanaka, office, tmp_path / "t1")
        # 山田's laptop gets 田中's second bundle but never the first: changes wait behind the gap
        carry(office, tanaka, tmp_path / "t2", for_device="田中さんのノートPC")
        households.update_household(tanaka, hanako, address="架空村上町1-4")
        (tmp_path / "t3").mkdir()
        import_paths(yamada, [export_bundle(tanaka, tmp_path / "t3", for_device="事務局").path])
        # a gap: 佐藤's bundle 1 never arrives, bundle 2 does
        households.update_household(sato, ichiro, notes="一回目の訪問")
        (tmp_path / "lost-stick").mkdir()
        export_bundle(sato, tmp_path / "lost-stick")
        households.update_household(sato, ichiro, address="架空村下町8-1")
        stick = tmp_path / "usb"
        stick.mkdir()
        second = export_bundle(sato, stick)
        broken = stick / "shakyo-01a2-sato-e1-000009.bundle"
        broken.write_bytes(second.path.read_bytes()[:-300])
        households.update_household(office, ichiro, address="架空村下町8-2")

        ctx = make_ctx(office, ui_settings)
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        page = window.show_page("sync")
        monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                            staticmethod(lambda *a, **k: ([str(second.path), str(broken)], "")))
        qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
        save(page.summary, "s01_import_summary")
        page.summary.close()
        save(window, "s02_sync_page_office")

        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(stick)))
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
        save(page.message, "s03_exported")
        page.message.close()

        def refuse(*_a, **_k):
            raise BundleWriteError("書き込み先が書き込み禁止のため同期ファイルを書けませんでした。"
                                   "USBメモリのロックやフォルダの権限を確かめてください。")

        with monkeypatch.context() as m:
            m.setattr(sync_page, "export_bundle", refuse)
            qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
            save(page.message, "s04_export_refused")
            page.message.close()

        qtbot.mouseClick(page.add_device_button, Qt.MouseButton.LeftButton)
        dialog = page.dialog
        dialog.name.setText("鈴木さんのノートPC")
        dialog.districts.set_checked(["上町"])
        (tmp_path / "enrol").mkdir()
        dialog.path.setText(str(tmp_path / "enrol" / "登録ファイル-鈴木さんのノートPC.shakyo"))
        save(dialog, "s05_add_device")
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        assert isinstance(page.dialog, EnrolmentCodeDialog)
        save(page.dialog, "s06_enrolment_code")
        page.dialog.close()

        conflicts_page = window.show_page("conflicts")
        save(window, "s07_conflicts_value")
        text_row = next(r for r in range(conflicts_page.table.rowCount())
                        if conflicts_page.table.item(r, 2).text() == "メモ")
        conflicts_page.table.setCurrentCell(text_row, 0)
        save(window, "s08_conflicts_text")
        qtbot.mouseClick(conflicts_page.household_button, Qt.MouseButton.LeftButton)
        assert conflicts_page.editor.conflict_notice.isVisible()
        save(conflicts_page.editor, "s08b_household_editor_notice")
        conflicts_page.editor.done(0)
        for _ in range(conflicts_page.table.rowCount()):
            qtbot.mouseClick(conflicts_page.columns[0].keep_button, Qt.MouseButton.LeftButton)
        save(window, "s09_conflicts_empty")
        window.idle.stop()

        laptop_window = MainWindow(make_ctx(yamada, ui_settings))
        qtbot.addWidget(laptop_window)
        laptop_window.resize(1100, 700)
        laptop_window.show()
        assert laptop_window.show_page("sync").pending_label.isVisible()
        save(laptop_window, "s10_sync_page_laptop")
        laptop_window.idle.stop()
    finally:
        for s in (office, tanaka, sato, yamada):
            if s.is_open:
                s.close()


def test_screenshot_recovery_banner(qtbot, tmp_path, ui_settings):
    root = tmp_path / "old"
    shutil.copytree(FIXTURES / "schema-0002", root)
    store = unlock(root, "admin", "fixture passphrase")
    try:
        window = MainWindow(make_ctx(store, ui_settings))
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        page = window.show_page("sync")
        assert page.banner.isVisible()
        qtbot.wait(30)
        save_now(window, "s11_recovery_banner")
        window.idle.stop()
    finally:
        store.close()


def test_import_from_nothing(qtbot, tmp_path, ui_settings):
    office, _kit = make_office(tmp_path)
    try:
        page = sync_page.SyncPage(make_ctx(office, ui_settings))
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        empty = tmp_path / "empty"
        empty.mkdir()
        page.start_import([str(empty)])
        assert "見つかりませんでした" in page.summary.text()
        qtbot.wait(30)
        save_now(page.summary, "s12_import_nothing")
        assert import_paths(office, [Path(empty)]).results == []
    finally:
        office.close()
