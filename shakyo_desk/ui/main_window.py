"""Main window: navigation on the left, pages on the right, header, menus,
demo banner, the backup reminder (admins) and the idle lock. Pages come from ``pages.registry``.

It gives the session its navigator (``ui.navigator``: every way from one screen to another,
pages included) and recounts a navigation badge when a change it depends on is announced
(``ui.events``); pages keep themselves fresh, nothing is reloaded merely because it is shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QSplitter,
    QStackedWidget, QVBoxLayout, QWidget,
)

from shakyo_desk import __version__
from shakyo_desk.domain.roles import Role
from shakyo_desk.i18n import tr
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.appearance import ViewMenu, fit_width_to_items, follow_text_size, keep_menu_items_whole
from shakyo_desk.ui.backup_actions import BackupBanner, BackupRunner, watch_backups
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.events import SETTINGS
from shakyo_desk.ui.first_steps import open_first_steps
from shakyo_desk.ui.help_window import install_help_actions
from shakyo_desk.ui.idle import IdleWatcher
from shakyo_desk.ui.navigator import Navigator
from shakyo_desk.ui.pages.registry import PageSpec, pages_for
from shakyo_desk.ui.style import DEMO_COLOUR

DEMO_BANNER = "デモ用の架空データです。実際の相談記録は入力しないでください。"
# (a tooltip, not the banner: a second line there costs the left menu its last rows at 150 %)
DEMO_TRAINING_TIP = "ロック（Ctrl+L）すると、ほかの役割（コーディネーター・職員・報告者）の画面も試せます。"
DEFAULT_SIZE = QSize(1280, 800)  # on a screen with room for it; smaller screens open maximised
NAV_CSS = "QListWidget {{ font-size: 12pt; }} QListWidget::item {{ padding: {pad}px 8px; }}"
NAV_PADDING = (3, 10)  # the left menu's item padding: compact where the screen is short, else roomy


class _NavFit(QObject):
    """Gives the left menu's items as much padding as its height allows (between NAV_PADDING's
    bounds), so on a laptop every page title is in view without scrolling."""

    def __init__(self, nav: QListWidget):
        super().__init__(nav)
        self.nav = nav
        self.padding = -1
        nav.installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            QTimer.singleShot(0, self, self.fit)
        return False

    def fit(self) -> None:
        nav = self.nav
        count = max(nav.count(), 1)
        text = nav.fontMetrics().height()
        room = nav.viewport().height() if nav.isVisible() else 0
        low, high = NAV_PADDING
        padding = high if room <= 0 else max(low, min(high, (room // count - text - 1) // 2))
        if padding != self.padding:
            self.padding = padding
            nav.setStyleSheet(NAV_CSS.format(pad=padding))


def default_unlock_dialog(window: "MainWindow") -> QDialog:
    from shakyo_desk.ui.unlock import UnlockDialog

    ctx = window.ctx
    return UnlockDialog(
        ctx.root, ctx.executor, ctx.ui_settings, council_name=window.council_name(), login=ctx.store.actor.login,
        locked_message=tr("画面をロックしました。\n続けるには、パスフレーズを入力してください。"),
        parent=window,
    )


class MainWindow(QMainWindow):
    """``account_switched(store)``: someone else unlocked; the owner reopens fresh."""

    account_switched = Signal(object)
    quit_requested = Signal()
    closed = Signal()

    def __init__(self, ctx: AppContext, pages: list[PageSpec] | None = None,
                 unlock_dialog_factory: Callable[["MainWindow"], QDialog] = default_unlock_dialog):
        super().__init__()
        self.ctx = ctx
        self.specs = pages_for(ctx.role, pages)
        self.pages: dict[str, QWidget] = {}
        self.locked = False
        self.unlock_dialog: QDialog | None = None
        self._unlock_dialog_factory = unlock_dialog_factory
        self._hidden_dialogs: list[QDialog] = []
        self.setMinimumSize(900, 560)
        dialogs.install_screen_fit(QApplication.instance())  # every window inside its screen

        # header: banners and the ログイン中 line in the application's font (they follow the text
        # size), with little padding so the left menu keeps its room on a laptop
        self.banner = QLabel(tr(DEMO_BANNER))
        self.banner.setObjectName("demoBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(f"background: {DEMO_COLOUR}; color: white; font-weight: bold; padding: 2px 6px;")
        self.banner.setToolTip(tr(DEMO_TRAINING_TIP))
        self.banner.setVisible(ctx.demo)
        self.backup_banner = BackupBanner()
        self.backup_banner.backup_requested.connect(self.start_backup)
        self.backup_runner = BackupRunner(ctx, self)
        self.backup_runner.finished.connect(lambda _result: self.check_backup_due())
        self.council_label = QLabel()
        self.council_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.user_label = QLabel()
        self.user_label.setObjectName("loginLine")
        header = QHBoxLayout()
        header.setContentsMargins(12, 2, 12, 2)
        header.addWidget(self.council_label)
        header.addStretch(1)
        header.addWidget(self.user_label)
        header_widget = QWidget()
        header_widget.setLayout(header)
        header_widget.setStyleSheet("background: #eef2f6;")
        follow_text_size(self.banner, self.user_label)  # style sheets keep the app's font from them

        # navigation and pages
        self.nav = QListWidget()
        self.nav.setMaximumWidth(220)
        self.nav.setMinimumWidth(120)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideNone)
        fit_width_to_items(self.nav)  # no page title cut off, whatever the text size
        self.page_stack = QStackedWidget()
        for spec in self.specs:
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.nav.addItem(item)
            holder = QWidget()
            holder.setLayout(QVBoxLayout())
            holder.layout().setContentsMargins(0, 0, 0, 0)
            self.page_stack.addWidget(holder)
        self.nav_fit = _NavFit(self.nav)  # every title in view on a short screen
        self.splitter = QSplitter()
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.page_stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([170, 1000])

        self.locked_view = QLabel(tr("ロックされています"))
        self.locked_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.locked_view.setStyleSheet("font-size: 16pt; color: #666; background: #dde1e6;")
        self.outer = QStackedWidget()
        self.outer.addWidget(self.splitter)
        self.outer.addWidget(self.locked_view)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.backup_banner)
        layout.addWidget(header_widget)
        layout.addWidget(self.outer, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)

        self._build_menus()
        ctx.navigator = Navigator(ctx, self)  # screens open each other, and pages, through it
        ctx.events.changed.connect(self._data_changed)
        self.nav.currentRowChanged.connect(self._show_row)
        self.update_header()
        self.check_backup_due()

        self.idle = IdleWatcher(ctx.idle_ms(), self)
        self.idle.idle.connect(self.lock)
        self.idle.start()

        # the remembered (or default) size inside the screen; maximised on a laptop (setVisible)
        self.placed_size = dialogs.place_main_window(self, DEFAULT_SIZE, settings=ctx.ui_settings,
                                                     key="main_window")
        self._shown_once = False
        ctx.ui_settings.restore_splitter("main_window", self.splitter)
        if self.specs:
            self.nav.setCurrentRow(0)
        self.refresh_badges()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt API
        if visible and not self._shown_once:
            self._shown_once = True
            # Maximised on a laptop's screen, unless code gave the window a size of its own
            # since it was placed (tests that look at a given size)
            if self.size() == self.placed_size and dialogs.open_maximised(self):
                self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
            QTimer.singleShot(0, self, self.focus_first_field)
        super().setVisible(visible)

    def focus_first_field(self) -> None:
        """At start the keyboard is in the first page's search field (not on a banner's button)."""
        page = self.current_page()
        if page is None or self.locked:
            return
        field = getattr(page, "search", None)
        if not isinstance(field, QLineEdit):
            field = next((f for f in page.findChildren(QLineEdit) if f.isVisible() and f.isEnabled()
                          and not f.isReadOnly()), None)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_page_key(self) -> str | None:
        """The key of the page shown (the guide opens at its topic, ``help_window.PAGE_TOPICS``)."""
        row = self.nav.currentRow()
        return self.specs[row].key if 0 <= row < len(self.specs) else None

    # ---- header, menus ---------------------------------------------------------

    def council_name(self) -> str:
        return self.ctx.council.name if self.ctx.council else ""

    def update_header(self) -> None:
        actor = self.ctx.store.actor
        name = self.council_name()
        self.council_label.setText(name)
        who = tr("{name}（{role}）", name=actor.display_name, role=actor.role.label)
        self.user_label.setText(tr("ログイン中：") + who)
        self.status_label.setText(f"{name}　{who}")
        title = tr("社協デスク") + (f" - {name}" if name else "")
        if self.ctx.demo:
            title += tr("【デモ】")
        self.setWindowTitle(title)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(tr("ファイル(&F)"))
        self.contact_action = QAction(tr("訪問記録を入力(&N)…"), self)
        self.contact_action.setShortcut(QKeySequence("Ctrl+N"))
        self.contact_action.triggered.connect(self.new_contact)
        self.contact_action.setEnabled(self.ctx.role != Role.REPORTER)
        file_menu.addAction(self.contact_action)
        file_menu.addSeparator()
        self.lock_action = QAction(tr("ロック(&L)"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock)
        file_menu.addAction(self.lock_action)
        change = QAction(tr("パスフレーズの変更…"), self)
        change.triggered.connect(self.change_passphrase)
        file_menu.addAction(change)
        file_menu.addSeparator()
        quit_action = QAction(tr("終了(&X)"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.view_menu = ViewMenu(self, self.ctx.ui_settings)  # 表示: text size, high contrast
        bar.addMenu(self.view_menu)

        admin_menu = bar.addMenu(tr("管理(&A)"))
        admin_specs = [s for s in self.specs if s.admin_menu]
        for spec in admin_specs:
            action = QAction(spec.title, self)
            action.triggered.connect(lambda _checked=False, key=spec.key: self.show_page(key))
            admin_menu.addAction(action)
        self.backup_action = QAction(tr("バックアップを作成…"), self)
        self.backup_action.triggered.connect(self.start_backup)
        if self.ctx.role == Role.ADMIN:
            if admin_specs:
                admin_menu.addSeparator()
            admin_menu.addAction(self.backup_action)
        if not admin_specs:
            none = QAction(tr("（管理者のみが使えます）"), self)
            none.setEnabled(False)
            admin_menu.addAction(none)

        help_menu = bar.addMenu(tr("ヘルプ(&H)"))
        install_help_actions(self, help_menu, lambda: open_first_steps(self))  # 操作ガイド (F1), はじめにすること
        about = QAction(tr("バージョン情報"), self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)
        self.menu_actions = [self.contact_action, self.lock_action, change, quit_action]
        keep_menu_items_whole(file_menu, admin_menu, help_menu)  # the 表示 menu does it itself

    def new_contact(self) -> None:
        """Ctrl+N 訪問記録: the quick entry, from anywhere in the window."""
        if self.locked or self.ctx.role == Role.REPORTER:
            return
        self.ctx.navigator.new_contact(self)  # saving announces "contact": the lists reload themselves

    def about(self) -> None:
        QMessageBox.about(self, tr("バージョン情報"),
                          tr("社協デスク バージョン {v}\n\n小さな社会福祉協議会のための、オフラインで使える記録システムです。"
                             "記録はこのパソコンの中に暗号化して保存されます。", v=__version__))

    def start_backup(self) -> None:
        """「バックアップを作成…」 (admin): file question, worker, progress, result."""
        if self.locked or self.ctx.role != Role.ADMIN:
            return
        self.backup_runner.start()

    def check_backup_due(self) -> None:
        watch_backups(self.ctx, self.backup_banner)

    def change_passphrase(self) -> None:
        from shakyo_desk.ui.passphrase_dialog import ChangePassphraseDialog

        dialog = ChangePassphraseDialog(self.ctx, self)
        dialog.accepted.connect(lambda: self.statusBar().showMessage(tr("パスフレーズを変更しました。"), 8000))
        self.passphrase_dialog = dialog
        dialog.open()

    # ---- pages -----------------------------------------------------------------------

    def page(self, key: str) -> QWidget:
        """The page widget for ``key`` (created on first use)."""
        if key not in self.pages:
            index = [s.key for s in self.specs].index(key)
            spec = self.specs[index]
            widget = spec.factory(self.ctx)
            changed = getattr(widget, "changed", None)
            if changed is not None and key == "settings":
                changed.connect(self._settings_changed)
                backup_requested = getattr(widget, "backup_requested", None)
                if backup_requested is not None:
                    backup_requested.connect(self.start_backup)
                    self.backup_runner.finished.connect(lambda _r, page=widget: page.refresh())
            self.page_stack.widget(index).layout().addWidget(widget)
            self.pages[key] = widget
            if hasattr(widget, "refresh"):
                widget.refresh()
        return self.pages[key]

    def show_page(self, key: str) -> QWidget:
        keys = [s.key for s in self.specs]
        self.nav.setCurrentRow(keys.index(key))
        return self.page(key)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.specs) or self.locked:
            return
        self.page(self.specs[row].key)  # made and loaded on first use; later kept fresh by its events
        self.page_stack.setCurrentIndex(row)

    def _data_changed(self, kind: str) -> None:
        self.refresh_badges([s for s in self.specs if kind in s.badge_on])

    def refresh_badges(self, specs: list[PageSpec] | None = None) -> None:
        """Counts after page titles (要確認（3）), computed in the worker: ``specs``' or all."""
        specs = [s for s in (self.specs if specs is None else specs) if s.badge is not None]
        if not specs or self.locked:
            return
        store = self.ctx.store
        self.ctx.executor.submit(lambda: {s.key: s.badge(store) for s in specs}, on_done=self._badges_loaded,
                                 on_error=lambda _e: None, owner=self)

    def _badges_loaded(self, counts: dict[str, int]) -> None:
        for row, spec in enumerate(self.specs):
            if spec.key in counts:
                n = counts[spec.key]
                self.nav.item(row).setText(tr("{title}（{n}）", title=spec.title, n=n) if n else spec.title)

    def current_page(self) -> QWidget | None:
        row = self.nav.currentRow()
        return self.pages.get(self.specs[row].key) if 0 <= row < len(self.specs) else None

    def _settings_changed(self, settings) -> None:
        self.ctx.council = settings
        self.ctx.changed(SETTINGS)
        self.update_header()
        self.idle.set_interval(self.ctx.idle_ms())
        self.check_backup_due()  # the reminder interval may have changed

    # ---- locking ------------------------------------------------------------------------

    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        self.idle.stop()
        self._hidden_dialogs = [d for d in self.findChildren(QDialog) if d.isVisible()]
        for dialog in self._hidden_dialogs:
            dialog.hide()
        self.outer.setCurrentWidget(self.locked_view)
        self.menuBar().setEnabled(False)
        store = self.ctx.store
        self.ctx.executor.submit(store.close)
        dialog = self._unlock_dialog_factory(self)
        dialog.unlocked.connect(self._unlocked)
        dialog.rejected.connect(self._unlock_cancelled)
        self.unlock_dialog = dialog
        dialog.open()

    def _unlocked(self, store) -> None:
        previous = self.ctx.store.actor
        self.unlock_dialog = None
        if store.actor.staff_id != previous.staff_id:
            for dialog in self._hidden_dialogs:
                dialog.deleteLater()
            self._hidden_dialogs = []
            self.account_switched.emit(store)
            return
        self.ctx.store = store
        self.locked = False
        self.menuBar().setEnabled(True)
        self.outer.setCurrentWidget(self.splitter)
        for dialog in self._hidden_dialogs:
            dialog.show()
        self._hidden_dialogs = []
        page = self.current_page()
        if page is not None and hasattr(page, "refresh"):
            page.refresh()
        self.refresh_badges()
        self.check_backup_due()
        self.idle.start()
        if store.notices:  # a key strengthened or rotated during the unlock (store/rekey.py)
            from shakyo_desk.ui.key_actions import show_notices

            self.notice_box = show_notices(self, store.notices)

    def _unlock_cancelled(self) -> None:
        if self.locked:
            self.quit_requested.emit()
            self.close()

    def has_unsaved_edits(self) -> bool:
        return any(getattr(d, "is_dirty", lambda: False)() for d in self.findChildren(QDialog)
                   if d.isVisible() or d in self._hidden_dialogs)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.locked and self.has_unsaved_edits() and not dialogs.confirm(
                self, tr("終了の確認"), tr("保存していない変更があります。変更を捨てて終了しますか？"),
                yes=tr("捨てて終了する")):
            event.ignore()
            return
        self.ctx.ui_settings.save_geometry("main_window", self)
        self.ctx.ui_settings.save_splitter("main_window", self.splitter)
        self.idle.dispose()
        super().closeEvent(event)
        self.closed.emit()
