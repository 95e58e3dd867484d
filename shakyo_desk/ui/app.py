"""Entry point of the desktop UI: ``run(store_dir, demo) -> exit code``.

The controller decides what to show first (demo, first-run wizard, unlock
dialog) and owns the main window; nothing here is a global singleton."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
    QProgressDialog, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import faults
from shakyo_desk.domain.errors import UserError
from shakyo_desk.i18n import tr
from shakyo_desk.store.paths import StoreLayout, default_demo_dir, default_store_dir
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.crash_dialog import after_crash_dialog
from shakyo_desk.ui.refcounts import pin_singletons
from shakyo_desk.ui.dialogs import error_text
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import Executor, ThreadExecutor, is_fault


NO_DEMO = "このバージョンにはデモ用データが含まれていません。"


def _open_demo(progress=None):
    """(store, rest): on the first start the records are still to be written (``rest``, issue 20)."""
    try:
        from shakyo_desk.demo import open_demo_early  # imported only when the demo is asked for
    except ImportError as error:  # a build without the demo: not a fault
        raise UserError(tr(NO_DEMO)) from error

    return open_demo_early(progress=progress) if progress is not None else open_demo_early()


def _open_demo_as(login: str, *, kdf: dict | None = None):
    """The demo as one of its training accounts (the demo's lock screen)."""
    try:
        from shakyo_desk.demo.training import open_demo_as
    except ImportError as error:  # a build without the demo: not a fault
        raise UserError(tr(NO_DEMO)) from error

    return open_demo_as(login, kdf=kdf)


def _preload_main_window() -> None:
    """The main window's and the first page's modules, imported on the GUI thread while the
    worker is busy (issue 20: the demo's first start; the worker's Argon2id and SQLite release
    the GIL): once the village is open, the window is built without waiting for them."""
    import shakyo_desk.ui.main_window  # noqa: F401
    import shakyo_desk.ui.pages.households  # noqa: F401


class _ProgressRelay(QObject):
    """Carries progress reports from the worker thread to the GUI thread."""

    progress = Signal(int, int, str)
    finished = Signal(object)  # the demo's rest: None when done, else the error


class DemoRestStatus(QWidget):
    """In the status bar while the demo's records are still being written (first start)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(tr("デモの準備中：記録を書いています…"))
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.setToolTip(tr("世帯はもう使えます。訪問記録・サロン・ケースなどの記録は、書き終わりしだい一覧に出ます。"))

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.label.setText(tr("デモの準備中：{step}", step=text))


def busy_dialog(text: str, parent: QWidget | None = None) -> QProgressDialog:
    dialog = QProgressDialog(text, "", 0, 0, parent)
    dialog.setWindowTitle(tr("社協デスク"))
    dialog.setCancelButton(None)
    dialog.setMinimumDuration(0)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumWidth(420)
    return dialog


class DemoResumeDialog(QDialog):
    """The demo's lock screen (after an idle lock or ロック): reopen the demo without a passphrase,
    as its admin, a coordinator, a staff member or a reporter (training mode, issue 17), with a
    sentence on what each sees. Demo only: the controller makes it only for ``--demo``, and
    ``open_demo_as`` refuses a store not marked as the demo."""

    unlocked = Signal(object)

    def __init__(self, executor: Executor, open_fn=None, parent: QWidget | None = None, *,
                 current_login: str | None = None, kdf: dict | None = None):
        super().__init__(parent)
        from shakyo_desk.demo.training import TRAINING_ACCOUNTS

        self.executor = executor
        self.open_fn = open_fn or (lambda login: _open_demo_as(login, kdf=kdf))
        self.setWindowTitle(tr("社協デスク - デモ"))
        label = QLabel(tr("デモ画面をロックしました。続ける役割を選んでください。"))
        label.setWordWrap(True)
        label.setStyleSheet("font-weight: bold;")
        training = QLabel(tr("研修用に、役割ごとの画面をパスフレーズなしで試せます。これはデモだけの機能です。"))
        training.setWordWrap(True)
        self.choices: dict[str, QPushButton] = {}  # by login: the role's button, its sentence beside it
        self.sentences: dict[str, QLabel] = {}
        choices = QGridLayout()
        choices.setHorizontalSpacing(14)
        choices.setVerticalSpacing(12)
        choices.setColumnStretch(1, 1)
        for row, account in enumerate(TRAINING_ACCOUNTS):
            current = account.login == current_login
            button = QPushButton(tr("{title}のまま再開" if current else "{title}として開く", title=tr(account.title)))
            button.setStyleSheet("QPushButton { font-weight: bold; padding: 6px 12px; text-align: left; }")
            button.clicked.connect(lambda _c=False, login=account.login: self._open(login))
            sentence = QLabel(tr(account.sees))
            sentence.setWordWrap(True)
            sentence.setBuddy(button)
            button.setToolTip(sentence.text())
            button.setAccessibleDescription(sentence.text())
            choices.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
            choices.addWidget(sentence, row, 1, Qt.AlignmentFlag.AlignTop)
            self.choices[account.login] = button
            self.sentences[account.login] = sentence
        self.resume = self.choices.get(current_login or "") or next(iter(self.choices.values()))
        self.resume.setDefault(True)
        buttons = QDialogButtonBox()
        quit_button = buttons.addButton(tr("終了"), QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.clicked.connect(self.reject)
        self.errors = QLabel()
        self.errors.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(training)
        layout.addSpacing(6)
        layout.addLayout(choices)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)  # each sentence on one or two lines beside its button
        self.resume.setFocus(Qt.FocusReason.OtherFocusReason)

    def _open(self, login: str) -> None:
        for button in self.choices.values():
            button.setEnabled(False)
        self.errors.setText(tr("開いています…"))
        self.executor.submit(lambda: self.open_fn(login), on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, store) -> None:
        self.accept()
        self.unlocked.emit(store)

    def _failed(self, error: BaseException) -> None:
        for button in self.choices.values():
            button.setEnabled(True)
        self.errors.setText(error_text(error))


class AppController(QObject):
    """Shows the first screen, then the main window; handles account switches."""

    finished = Signal(int)

    def __init__(self, executor: Executor, ui_settings: UiSettings, store_dir: Path | None = None,
                 demo: bool = False, *, kdf: dict | None = None, idle_ms_override: int | None = None):
        super().__init__()
        self.executor = executor
        self.ui_settings = ui_settings
        self.demo = demo
        self.kdf = kdf
        self.idle_ms_override = idle_ms_override
        self.store_dir = Path(store_dir) if store_dir else self._remembered_dir()
        self.window = None
        self.wizard = None
        self.unlock_dialog = None
        self.busy = None
        self._switching = False
        # The demo's first start (issue 20): its records written on a thread of their own
        self.demo_rest = None
        self._rest_thread: threading.Thread | None = None
        self._rest_stop = threading.Event()
        self._rest_progress: tuple[int, int, str] | None = None
        self.rest_status: DemoRestStatus | None = None
        self.rest_done = threading.Event()
        self.first_run = None  # after the wizard: "create" or "join", for the first steps

    def _remembered_dir(self) -> Path:
        remembered = self.ui_settings.last_store_dir()
        if remembered and StoreLayout(Path(remembered)).exists():
            return Path(remembered)
        return default_store_dir()

    # ---- first screen -------------------------------------------------------------

    def start(self) -> None:
        if self.demo:
            self.start_demo()
        elif not StoreLayout(self.store_dir).exists():
            self.show_wizard()
        else:
            self.show_unlock()

    def start_demo(self) -> None:
        self.busy = busy_dialog(tr("デモ用の村のデータを準備しています。\n初めてのときは少し時間がかかります…"))
        self.busy.show()
        self._relay = _ProgressRelay()
        self._relay.progress.connect(self._demo_progress)
        self.executor.submit(_open_demo, self._relay.progress.emit, on_done=self._demo_opened,
                             on_error=self._demo_failed)
        QTimer.singleShot(0, _preload_main_window)  # while the worker writes the village

    def _demo_progress(self, done: int, total: int, text: str) -> None:
        if self.busy is not None and total > 0:
            self.busy.setRange(0, total)
            self.busy.setValue(done)
            self.busy.setLabelText(tr("デモ用の村のデータを準備しています（初回のみ）。") + "\n" + text)

    def _close_busy(self) -> None:
        if self.busy is not None:
            self.busy.close()
            self.busy.deleteLater()
            self.busy = None

    def _demo_opened(self, opened) -> None:
        self._close_busy()
        store, rest = opened if isinstance(opened, tuple) else (opened, None)
        self.demo_rest = rest  # started once the window is shown (_build_main)
        if rest is None:
            self.rest_done.set()
        self.open_main(store)

    def _start_demo_rest(self) -> None:
        """The records on their own thread and connections: the window stays usable (households,
        search) and each list shows its records once written (``sync`` reloads every list)."""
        rest = self.demo_rest
        if rest is None or self._rest_thread is not None:
            return
        self._rest_relay = _ProgressRelay()
        self._rest_relay.progress.connect(self._demo_rest_progress)
        self._rest_relay.finished.connect(self._demo_rest_finished)
        relay, stop = self._rest_relay, self._rest_stop

        def run() -> None:
            try:
                rest.run(relay.progress.emit, stop)
            except BaseException as error:  # noqa: BLE001 - handed to the GUI thread
                relay.finished.emit(error)
            else:
                relay.finished.emit(None)

        self._rest_thread = threading.Thread(target=run, name="demo-rest")
        self._rest_thread.start()

    def _demo_rest_progress(self, done: int, total: int, text: str) -> None:
        self._rest_progress = (done, total, text)
        if self.rest_status is not None:
            self.rest_status.show_progress(done, total, text)

    def _demo_rest_finished(self, error) -> None:
        from shakyo_desk.demo import DemoInterrupted
        from shakyo_desk.ui import events

        self.demo_rest = None
        self.rest_done.set()
        status, self.rest_status = self.rest_status, None
        window = self.window
        if isinstance(error, DemoInterrupted):
            return
        if error is not None and is_fault(error):
            from shakyo_desk.ui.worker import report_fault

            report_fault(error)
        if window is not None:
            if status is not None:
                window.statusBar().removeWidget(status)
                status.deleteLater()
            if error is None:
                window.statusBar().showMessage(tr("デモの記録ができあがりました。"), 8000)
                window.ctx.events.changed.emit(events.SYNC)  # every list reloads
                window.refresh_badges()
            else:
                window.statusBar().showMessage(
                    tr("デモの記録の一部を作れませんでした。次に起動したときに作り直します。") + " " + error_text(error))

    def _attach_rest_status(self, window) -> None:
        if self.demo_rest is None:
            return
        self.rest_status = DemoRestStatus()
        window.statusBar().addWidget(self.rest_status)
        if self._rest_progress is not None:
            self.rest_status.show_progress(*self._rest_progress)

    def _demo_failed(self, error: BaseException) -> None:
        self._close_busy()
        if is_fault(error):  # the crash dialog says it: end once it is closed
            after_crash_dialog(lambda: self.finished.emit(1))
            return
        QMessageBox.warning(None, tr("社協デスク - デモ"), tr("デモを開けませんでした。") + "\n" + error_text(error))
        self.finished.emit(1)

    def show_wizard(self) -> None:
        from shakyo_desk.ui.wizard import SetupWizard

        self.wizard = SetupWizard(self.executor, self.store_dir, kdf=self.kdf)
        self.wizard.created.connect(self._wizard_done)
        self.wizard.rejected.connect(lambda: self.finished.emit(0))
        self.wizard.show()

    def _wizard_done(self, store) -> None:
        self.first_run = self.wizard.state.mode
        self.ui_settings.set_last_store_dir(str(store.layout.root))
        self.ui_settings.set_last_login(store.actor.login)
        self.open_main(store)

    def show_unlock(self) -> None:
        from shakyo_desk.ui.unlock import UnlockDialog

        self.unlock_dialog = UnlockDialog(self.store_dir, self.executor, self.ui_settings)
        self.unlock_dialog.unlocked.connect(self.open_main)
        self.unlock_dialog.rejected.connect(lambda: self.finished.emit(0))
        self.unlock_dialog.show()

    # ---- main window ----------------------------------------------------------------

    def open_main(self, store) -> None:
        self.executor.submit(get_settings, store, on_done=lambda council: self._build_main(store, council),
                             on_error=self._settings_failed)

    def _settings_failed(self, error: BaseException) -> None:
        if is_fault(error):  # the crash dialog says it: end once it is closed
            after_crash_dialog(lambda: self.finished.emit(1))
            return
        QMessageBox.critical(None, tr("社協デスク"), error_text(error))
        self.finished.emit(1)

    def _build_main(self, store, council) -> None:
        from shakyo_desk.ui.main_window import MainWindow

        ctx = AppContext(store=store, executor=self.executor, ui_settings=self.ui_settings, council=council,
                         kdf=self.kdf, demo=bool(self.demo or council.is_demo),
                         idle_ms_override=self.idle_ms_override)
        factory = (lambda w: DemoResumeDialog(self.executor, parent=w, current_login=w.ctx.store.actor.login,
                                              kdf=self.kdf)) if self.demo else None  # never for a real store
        window = MainWindow(ctx, **({"unlock_dialog_factory": factory} if factory else {}))
        window.account_switched.connect(self._account_switched)
        window.closed.connect(self._window_closed)
        self.window = window
        self._attach_rest_status(window)
        window.show()
        self._start_demo_rest()
        if store.notices:  # a key strengthened or rotated during the unlock (store/rekey.py)
            from shakyo_desk.ui.key_actions import show_notices

            self.notice_box = show_notices(window, store.notices)
        if self.first_run:  # once, after the wizard: what to do first
            from shakyo_desk.ui.first_steps import show_first_steps

            show_first_steps(window, self.first_run)
            self.first_run = None

    def _account_switched(self, store) -> None:
        old = self.window
        self._switching = True
        if old is not None:
            old.close()
            old.deleteLater()
        self._switching = False
        self.open_main(store)

    def _window_closed(self) -> None:
        if not self._switching:
            self.finished.emit(0)

    def bring_forward(self) -> None:
        """Another start of the app on this store asked for us: show what is open now."""
        for widget in (self.window, self.unlock_dialog, self.wizard):
            try:
                if widget is None or not widget.isVisible():
                    continue
            except RuntimeError:  # already deleted on the Qt side
                continue
            if widget.isMinimized():
                widget.showNormal()
            widget.raise_()
            widget.activateWindow()
            return

    def shutdown(self) -> None:
        """Lock (drop the key) and stop the worker; the demo's records stop between two
        transactions (the next start makes the village again)."""
        if self._rest_thread is not None:
            self._rest_stop.set()
            self._rest_thread.join()
        if self.window is not None:
            store = self.window.ctx.store
            if store.is_open:
                self.executor.submit(store.close)
        self.executor.shutdown()


STARTUP_PROBE = "SHAKYO_STARTUP_PROBE"  # benchmarks only: see tests/benchmarks/bench_startup.py


def _first_screen_probe(app: QApplication) -> None:
    """Once the event loop turns with the first screen shown: say when, on stderr, and end."""
    shown = [w.metaObject().className() for w in app.topLevelWidgets() if w.isVisible()]
    sys.stderr.write(f"first-screen {time.time():.6f} {','.join(shown)}\n")
    sys.stderr.flush()
    app.quit()


def _usable_window_probe(app: QApplication, controller: "AppController") -> None:
    """``SHAKYO_STARTUP_PROBE=usable`` (bench_demo.py): wait for the main window to show
    household rows, as bench_ui's unlock to a usable window does, then say when."""
    window = controller.window
    page = window.pages.get("households") if window is not None and window.isVisible() else None
    if page is not None and page.model.rowCount() > 0:
        shown = [w.metaObject().className() for w in app.topLevelWidgets() if w.isVisible()]
        sys.stderr.write(f"first-screen {time.time():.6f} {','.join(shown)}\n")
        sys.stderr.flush()
        _when_demo_complete(app, controller)
    else:
        QTimer.singleShot(5, lambda: _usable_window_probe(app, controller))


def _when_demo_complete(app: QApplication, controller: "AppController") -> None:
    """The demo's records written too (at once when there were none to write): say when, end."""
    if controller.demo and not controller.rest_done.is_set():
        QTimer.singleShot(20, lambda: _when_demo_complete(app, controller))
        return
    sys.stderr.write(f"demo-complete {time.time():.6f}\n")
    sys.stderr.flush()
    app.quit()


ALREADY_RUNNING = ("社協デスクはすでに起動しています。タスクバーにある社協デスクの画面をお使いください。"
                   "画面が見当たらないときは、パソコンを再起動してからもう一度開いてください。")


def _record_fault(error: BaseException, where: str) -> Path:
    from shakyo_desk import crash_report
    from shakyo_desk.ui.crash_dialog import qt_versions

    return crash_report.write_report(error, where=f"desktop ({where})", versions=qt_versions())


def run(store_dir: Path | None = None, demo: bool = False) -> int:
    from shakyo_desk.ui.appearance import install as install_appearance
    from shakyo_desk.ui.crash_dialog import install_crash_handler
    from shakyo_desk.ui.single_instance import SingleInstance
    from shakyo_desk.ui.style import setup_application

    pin_singletons()  # before any Qt call: see refcounts.py
    app = QApplication.instance() or QApplication(sys.argv[:1])
    setup_application(app)
    # unexpected errors (a worker task's too: worker.report_fault hands them to sys.excepthook):
    # a Japanese dialog and a local report without personal data
    install_crash_handler()
    faults.install(_record_fault)  # a fault in one file of a sync run: a report, then the next file
    ui_settings = UiSettings()
    install_appearance(app, ui_settings)  # this person's text size and contrast, before the first screen
    app.setQuitOnLastWindowClosed(False)
    controller = AppController(ThreadExecutor(), ui_settings, store_dir, demo)
    guard = SingleInstance(default_demo_dir() if demo else controller.store_dir)
    if not guard.acquire():
        controller.executor.shutdown()
        if guard.ask_first_to_show():
            return 0  # the running copy comes forward; nothing more to do here
        QMessageBox.information(None, tr("社協デスク"), tr(ALREADY_RUNNING))
        return 1
    guard.activated.connect(controller.bring_forward)
    exit_code = {"code": 0}

    def finish(code: int) -> None:
        exit_code["code"] = code
        app.quit()

    controller.finished.connect(finish)
    controller.start()
    probe = os.environ.get(STARTUP_PROBE)
    if probe == "usable":
        QTimer.singleShot(0, lambda: _usable_window_probe(app, controller))
    elif probe:
        QTimer.singleShot(0, lambda: _first_screen_probe(app))
    app.exec()
    controller.shutdown()
    guard.release()
    return exit_code["code"]
