"""Unexpected errors in the desktop app: the dialog, the local report, no personal data."""

import sys
import threading

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.ui.crash_dialog import CrashDialog, CrashHandler
from tests.ui.helpers import click, type_text

PERSONAL = "山田 花子"


class Form(QWidget):
    """A form whose save button fails with the typed name in the message and a local."""

    def __init__(self):
        super().__init__()
        self.name = QLineEdit()
        self.save_button = QPushButton("保存")
        self.save_button.clicked.connect(self.save_record)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.save_button)

    def save_record(self):
        typed_name = self.name.text()
        check_the_address(typed_name)


def check_the_address(person):
    raise ValueError("住所が見つかりません：" + person)


@pytest.fixture
def handler(tmp_path):
    h = CrashHandler(tmp_path / "logs", keep=3).install()
    yield h
    h.uninstall()
    if h.dialog is not None:
        h.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_error_in_a_slot_shows_dialog_and_writes_report(qtbot, handler, tmp_path):
    form = Form()
    qtbot.addWidget(form)
    form.show()
    type_text(qtbot, form.name, PERSONAL)
    click(qtbot, form.save_button)

    dialog = handler.dialog
    assert isinstance(dialog, CrashDialog) and dialog.isVisible()
    assert "予期しないエラーが起きました" in dialog.message.text()
    assert "記録はそのまま安全に保存されています" in dialog.message.text()
    reports = list((tmp_path / "logs").glob("crash-*.txt"))
    assert len(reports) == 1 and handler.reports == reports
    assert str(reports[0]) in dialog.where.text() and dialog.where.text().startswith("詳しい記録：")
    text = reports[0].read_text("utf-8")
    assert "in save_record" in text and "in check_the_address" in text and "exception: ValueError" in text
    assert PERSONAL not in text and "山田" not in text
    assert PERSONAL not in dialog.details.toPlainText()

    click(qtbot, dialog.copy_button)
    copied = QGuiApplication.clipboard().text()
    assert "in check_the_address" in copied and str(reports[0]) in copied and PERSONAL not in copied

    # the app goes on: the form still works, and closing the dialog leaves the window
    assert form.isVisible()
    click(qtbot, dialog.close_button)
    qtbot.waitUntil(lambda: handler.dialog is None)
    assert form.isVisible()


@pytest.mark.qt_no_exception_capture
def test_more_errors_while_the_dialog_is_open_do_not_stack(qtbot, handler, tmp_path):
    form = Form()
    qtbot.addWidget(form)
    form.show()
    for _ in range(10):
        form.save_button.click()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]
    assert dialogs == [handler.dialog]
    assert handler.dialog.more == 9 and "さらに9件" in handler.dialog.more_label.text()
    # the same fault again is not written again
    assert len(list((tmp_path / "logs").glob("crash-*.txt"))) == 1


@pytest.mark.qt_no_exception_capture
def test_reports_are_pruned_to_the_newest(qtbot, handler, tmp_path):
    for n in range(5):
        try:
            raise KeyError(f"{PERSONAL}{n}")
        except KeyError as error:
            handler.excepthook(type(error), error, error.__traceback__)
        handler.dialog.close()
        qtbot.waitUntil(lambda: handler.dialog is None)
    reports = sorted((tmp_path / "logs").glob("crash-*.txt"))
    assert len(reports) == 3 and reports == sorted(handler.reports[-3:])


@pytest.mark.qt_no_exception_capture
def test_error_in_a_thread_reaches_the_gui(qtbot, handler, tmp_path):
    def background_work():
        secret = PERSONAL
        raise OSError("ファイルが読めません：" + secret)

    thread = threading.Thread(target=background_work, name="shakyo-store_0")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=2000)
    text = next((tmp_path / "logs").glob("crash-*.txt")).read_text("utf-8")
    assert "thread: shakyo-store_0" in text and "in background_work" in text and PERSONAL not in text


def test_install_and_uninstall_restore_the_hooks(tmp_path):
    before, before_thread = sys.excepthook, threading.excepthook
    h = CrashHandler(tmp_path).install()
    assert sys.excepthook == h.excepthook and threading.excepthook == h.thread_excepthook
    h.uninstall()
    assert sys.excepthook is before and threading.excepthook is before_thread
