"""Errors from worker tasks are never swallowed: a fault reaches the crash handler (a local
report and the crash dialog) even when the caller passed ``on_error``; a ``UserError`` goes to
``on_error`` only. Both executors behave the same way."""

import sys

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QVBoxLayout, QWidget

from shakyo_desk import crash_report
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.ui import app as app_module
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.crash_dialog import CrashDialog, CrashHandler
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.pages import watch as watch_module
from shakyo_desk.ui.pages.watch import WatchPage
from shakyo_desk.ui.worker import SyncExecutor, ThreadExecutor
from tests.ui.helpers import click

PERSONAL = "山田 花子"
REFUSAL = "同じ名前の世帯がすでにあります。"


def look_up_the_household(name):
    return {}[name]  # a fault: KeyError, with personal data in its message


def refuse(name):
    raise InvalidInput(REFUSAL)


class Screen(QWidget):
    """A screen like the app's: a button that starts work, an error label, busy while it runs."""

    def __init__(self, executor, task):
        super().__init__()
        self.executor = executor
        self.task = task
        self.button = QPushButton("保存")
        self.button.clicked.connect(self.start)
        self.errors = ErrorLabel()
        self.delivered = []
        self.dialog_open_when_failed = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.button)
        layout.addWidget(self.errors)

    def start(self):
        self.button.setEnabled(False)
        self.errors.clear_error()
        self.executor.submit(self.task, PERSONAL, on_done=self.done, on_error=self.failed, owner=self)

    def done(self, result):
        self.button.setEnabled(True)

    def failed(self, error):
        self.delivered.append(error)
        self.dialog_open_when_failed = any(isinstance(w, CrashDialog) and w.isVisible()
                                           for w in QApplication.topLevelWidgets())
        self.button.setEnabled(True)
        self.errors.show_error(error)


@pytest.fixture
def crash_handler():
    """The app's crash handler, writing into SHAKYO_LOG_DIR (tests/conftest.py) like the app."""
    handler = CrashHandler().install()
    yield handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()


@pytest.fixture
def new_reports():
    folder = crash_report.report_dir()
    before = set(folder.glob("crash-*.txt")) if folder.exists() else set()
    return lambda: sorted(set(folder.glob("crash-*.txt")) - before)


def open_screen(qtbot, executor, task):
    screen = Screen(executor, task)
    qtbot.addWidget(screen)
    screen.show()
    return screen


def crash_dialogs():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]


def assert_fault_reported(screen, handler, reports, *, thread):
    assert len(reports) == 1
    text = reports[0].read_text("utf-8")
    assert "exception: KeyError" in text and "in look_up_the_household" in text and f"thread: {thread}" in text
    assert PERSONAL not in text and "山田" not in text
    # the person sees one Japanese dialog naming the report
    assert crash_dialogs() == [handler.dialog]
    assert "予期しないエラーが起きました" in handler.dialog.message.text()
    assert handler.dialog.where.text() == f"詳しい記録：{reports[0]}"
    # the screen still got the error, after the dialog opened, and is usable again; its label
    # says the action did not finish, in Japanese, not the raw exception
    assert len(screen.delivered) == 1 and isinstance(screen.delivered[0], KeyError)
    assert screen.dialog_open_when_failed
    assert screen.button.isEnabled()
    assert screen.errors.isVisible() and screen.errors.text() == dialogs.UNEXPECTED
    assert "KeyError" not in screen.errors.text() and PERSONAL not in screen.errors.text()


@pytest.mark.qt_no_exception_capture
def test_a_fault_with_on_error_writes_a_report_and_shows_the_dialog(qtbot, crash_handler, new_reports):
    screen = open_screen(qtbot, SyncExecutor(), look_up_the_household)
    click(qtbot, screen.button)
    assert_fault_reported(screen, crash_handler, new_reports(), thread="MainThread")


@pytest.mark.qt_no_exception_capture
def test_a_fault_in_the_background_thread_writes_a_report_and_shows_the_dialog(qtbot, crash_handler, new_reports):
    executor = ThreadExecutor()
    try:
        screen = open_screen(qtbot, executor, look_up_the_household)
        click(qtbot, screen.button)
        qtbot.waitUntil(lambda: bool(screen.delivered), timeout=3000)
        assert_fault_reported(screen, crash_handler, new_reports(), thread="shakyo-store_0")
    finally:
        executor.shutdown()


@pytest.mark.qt_no_exception_capture
@pytest.mark.parametrize("make_executor", [SyncExecutor, ThreadExecutor])
def test_a_user_error_goes_to_on_error_only(qtbot, crash_handler, new_reports, make_executor):
    executor = make_executor()
    try:
        screen = open_screen(qtbot, executor, refuse)
        click(qtbot, screen.button)
        qtbot.waitUntil(lambda: bool(screen.delivered), timeout=3000)
        qtbot.wait(20)
        assert isinstance(screen.delivered[0], InvalidInput) and screen.errors.text() == REFUSAL
        assert new_reports() == [] and crash_dialogs() == [] and crash_handler.reports == []
        assert screen.button.isEnabled()
    finally:
        executor.shutdown()


@pytest.mark.qt_no_exception_capture
@pytest.mark.parametrize("make_executor", [SyncExecutor, ThreadExecutor])
def test_a_fault_in_on_done_or_without_on_error_is_reported(qtbot, crash_handler, new_reports, make_executor):
    executor = make_executor()
    try:
        executor.submit(lambda: PERSONAL, on_done=look_up_the_household)  # the callback fails
        qtbot.waitUntil(lambda: len(new_reports()) == 1, timeout=3000)
        assert "in look_up_the_household" in new_reports()[0].read_text("utf-8")
        qtbot.waitUntil(lambda: crash_handler.dialog is not None, timeout=3000)
        crash_handler.dialog.close()
        qtbot.waitUntil(lambda: crash_handler.dialog is None, timeout=3000)

        executor.submit(look_up_the_household, PERSONAL)  # nobody handles it
        qtbot.waitUntil(lambda: len(new_reports()) == 2, timeout=3000)
        qtbot.waitUntil(lambda: crash_handler.dialog is not None, timeout=3000)
    finally:
        executor.shutdown()


@pytest.mark.qt_no_exception_capture
def test_a_fault_opens_no_second_message_box(qtbot, crash_handler, new_reports, monkeypatch):
    """Callers that answer a refusal with a message box (dialogs.inform_error) stay quiet for a
    fault: the crash dialog is the one dialog."""
    boxes = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: boxes.append(a[2]))
    parent = QWidget()
    qtbot.addWidget(parent)
    executor = SyncExecutor()
    executor.submit(look_up_the_household, PERSONAL, on_error=lambda e: dialogs.inform_error(parent, "訪問記録", e))
    assert boxes == [] and crash_dialogs() == [crash_handler.dialog] and len(new_reports()) == 1
    executor.submit(refuse, PERSONAL, on_error=lambda e: dialogs.inform_error(parent, "訪問記録", e))
    assert boxes == [REFUSAL] and len(new_reports()) == 1


@pytest.mark.qt_no_exception_capture
def test_a_fault_in_a_backup_or_a_sync_export_opens_only_the_crash_dialog(qtbot, ctx, crash_handler, new_reports,
                                                                          tmp_path, monkeypatch):
    from shakyo_desk.ui import backup_actions
    from shakyo_desk.ui.pages import sync as sync_page

    def broken(*args, **kwargs):
        look_up_the_household(PERSONAL)

    parent = QWidget()
    qtbot.addWidget(parent)
    monkeypatch.setattr(backup_actions, "ask_backup_file", lambda *a: str(tmp_path / "b.shakyo-backup"))
    monkeypatch.setattr(backup_actions.backup, "create_backup", broken)
    runner = backup_actions.BackupRunner(ctx, parent)
    failed = []
    runner.failed.connect(failed.append)
    assert runner.start()
    assert runner.message_box is None and not runner.running and failed == [dialogs.UNEXPECTED]
    assert crash_dialogs() == [crash_handler.dialog] and len(new_reports()) == 1
    crash_handler.dialog.close()

    monkeypatch.setattr(sync_page, "export_bundle", broken)
    monkeypatch.setattr(sync_page, "export_refusal", lambda *a, **k: None)  # (one store: nobody to give it to)
    monkeypatch.setattr(sync_page.QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path)))
    page = sync_page.SyncPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    click(qtbot, page.export_button)
    assert page.message is None and page.progress is None and page.export_button.isEnabled()
    assert crash_dialogs() == [crash_handler.dialog] and len(new_reports()) == 2


@pytest.mark.qt_no_exception_capture
def test_a_fault_before_the_main_window_ends_the_app_after_the_dialog(qtbot, crash_handler, new_reports,
                                                                       ui_settings, monkeypatch):
    boxes = []
    monkeypatch.setattr(app_module.QMessageBox, "critical", lambda *a: boxes.append(a[2]))
    monkeypatch.setattr(app_module, "get_settings", lambda store: look_up_the_household(PERSONAL))
    controller = AppController(SyncExecutor(), ui_settings)
    codes = []
    controller.finished.connect(codes.append)
    controller.open_main(object())
    assert len(new_reports()) == 1 and crash_dialogs() == [crash_handler.dialog]
    assert boxes == [] and codes == []  # the person reads the dialog before the app ends
    click(qtbot, crash_handler.dialog.close_button)
    qtbot.waitUntil(lambda: codes == [1], timeout=2000)


@pytest.mark.qt_no_exception_capture
def test_an_unwritable_pdf_folder_is_a_sentence_not_a_fault(qtbot, ctx, village, crash_handler, new_reports,
                                                             tmp_path, monkeypatch):
    from tests.ui.test_watch import schedule

    schedule(ctx, village)

    def full_disk(path, *args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(watch_module, "load_route_writer", lambda: full_disk)
    monkeypatch.setattr(watch_module, "ask_pdf_path", lambda parent, suggested: str(tmp_path / "list.pdf"))
    page = WatchPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    click(qtbot, page.pdf_button)
    assert page.errors.text().startswith("PDFを保存できませんでした。") and page.pdf_button.isEnabled()
    assert new_reports() == [] and crash_dialogs() == []


def test_without_a_crash_handler_a_fault_still_reaches_sys_excepthook(monkeypatch):
    hooked = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: hooked.append(exc))
    delivered = []
    SyncExecutor().submit(look_up_the_household, PERSONAL, on_error=delivered.append)
    assert len(hooked) == 1 and hooked[0][0] is KeyError and hooked[0][2] is not None
    assert delivered == [hooked[0][1]]


def test_a_failing_crash_handler_does_not_break_the_caller(monkeypatch, capsys):
    def broken_hook(*exc):
        raise RuntimeError("hook broken")

    monkeypatch.setattr(sys, "excepthook", broken_hook)
    delivered = []
    SyncExecutor().submit(look_up_the_household, PERSONAL, on_error=delivered.append)
    assert len(delivered) == 1 and "KeyError" in capsys.readouterr().err
