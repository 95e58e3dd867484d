import sys
import threading

from PySide6.QtWidgets import QLabel, QWizard

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import create_store
from shakyo_desk.ui import app as app_module
from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.main_window import DEMO_BANNER, MainWindow
from shakyo_desk.ui.style import install_qt_translation
from shakyo_desk.ui.worker import SyncExecutor, ThreadExecutor
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import type_text


def test_first_run_shows_wizard_then_main_window(qtbot, executor, ui_settings, tmp_path):
    folder = tmp_path / "data"
    controller = AppController(executor, ui_settings, folder, kdf=FAST_KDF)
    controller.start()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    assert wizard.state.folder == str(folder)
    type_text(qtbot, wizard.council_page.council_name, "山里村社会福祉協議会")
    wizard.next()
    type_text(qtbot, wizard.admin_page.display_name, "田中 一郎")
    type_text(qtbot, wizard.admin_page.passphrase, "long passphrase")
    type_text(qtbot, wizard.admin_page.passphrase_again, "long passphrase")
    wizard.next()
    wizard.next()
    wizard.recovery_page.confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    window = controller.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.ctx.store.actor.login == "admin"
    assert ui_settings.last_store_dir() == str(folder)
    window.idle.stop()
    window.ctx.store.close()


def test_existing_store_shows_unlock(qtbot, executor, ui_settings, store, store_dir):
    store.close()
    controller = AppController(executor, ui_settings, store_dir, kdf=FAST_KDF)
    controller.start()
    dialog = controller.unlock_dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.login, "admin")
    type_text(qtbot, dialog.passphrase, PASSPHRASE)
    dialog.try_unlock()
    window = controller.window
    qtbot.addWidget(window)
    assert window.ctx.council.name == "山里村社会福祉協議会"
    finished = []
    controller.finished.connect(finished.append)
    window.close()
    assert finished == [0]
    controller.shutdown()
    assert not window.ctx.store.is_open


def test_demo_opens_marked_window(qtbot, executor, ui_settings, tmp_path, monkeypatch):
    def fake_open_demo(progress=None):
        progress(1, 2, "テスト")
        store, _ = create_store(tmp_path / "demo", "デモ村社会福祉協議会", "demo", "demo passphrase",
                                is_demo=True, kdf=FAST_KDF)
        return store

    monkeypatch.setattr(app_module, "_open_demo", fake_open_demo)
    controller = AppController(executor, ui_settings, None, demo=True)
    controller.start()
    window = controller.window
    qtbot.addWidget(window)
    assert window.banner.isVisible() and window.banner.text() == DEMO_BANNER
    assert "【デモ】" in window.windowTitle()
    assert get_settings(window.ctx.store).is_demo
    window.idle.stop()
    window.ctx.store.close()


def test_demo_unavailable_is_explained(qtbot, executor, ui_settings, monkeypatch):
    shown = []
    monkeypatch.setitem(sys.modules, "shakyo_desk.demo", None)  # a build without the demo: ImportError
    monkeypatch.setattr(app_module.QMessageBox, "warning", lambda *a: shown.append(a[2]))
    controller = AppController(executor, ui_settings, None, demo=True)
    codes = []
    controller.finished.connect(codes.append)
    controller.start()
    assert codes == [1] and "デモ" in shown[0] and app_module.NO_DEMO in shown[0]


def test_thread_executor_delivers_on_gui_thread(qtbot):
    executor = ThreadExecutor()
    gui = threading.get_ident()
    seen = []
    executor.submit(lambda: threading.get_ident(), on_done=lambda worker: seen.append((worker, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    worker, delivered = seen[0]
    assert worker != gui and delivered == gui

    errors = []

    def refuse():
        raise InvalidInput("入力を確かめてください。")

    executor.submit(refuse, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=2000)
    assert isinstance(errors[0], InvalidInput)  # faults: tests/ui/test_worker_errors.py

    # a result for a widget deleted meanwhile is dropped, not delivered
    label = QLabel()
    gate = threading.Event()
    executor.submit(lambda: gate.wait(2) and "late", on_done=label.setText, owner=label)
    label.deleteLater()
    qtbot.wait(50)
    gate.set()
    executor.shutdown()
    qtbot.wait(50)  # no crash


def test_sync_executor_reports_without_handler(monkeypatch):
    hooked = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: hooked.append(exc[1]))
    SyncExecutor().submit(lambda: 1 / 0)  # like the ThreadExecutor: to the crash handler, not the caller
    assert len(hooked) == 1 and isinstance(hooked[0], ZeroDivisionError)


def test_qt_japanese_translation_loads(qapp):
    assert install_qt_translation(qapp)
    from PySide6.QtCore import QCoreApplication

    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "キャンセル"


def test_real_thread_unlock_to_main_window(qtbot, ui_settings, store, store_dir, village):
    """The same flow as users get: store work on the background thread."""
    store.close()
    executor = ThreadExecutor()
    controller = AppController(executor, ui_settings, store_dir)
    controller.start()
    dialog = controller.unlock_dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.login, "admin")
    type_text(qtbot, dialog.passphrase, PASSPHRASE)
    dialog.try_unlock()
    qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
    window = controller.window
    qtbot.addWidget(window)
    page = window.current_page()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    type_text(qtbot, page.search, "たなか")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    window.idle.stop()
    controller.shutdown()
    assert not window.ctx.store.is_open
