"""「バックアップを作成…」 and the backup reminder in the main window (issue 6)."""

from datetime import timedelta

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from shakyo_desk.domain.roles import Role
from shakyo_desk.store import backup
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import DeviceState
from shakyo_desk.store.services import accounts
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui import backup_actions
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.main_window import MainWindow
from tests.ui.conftest import PASSPHRASE

SHOTS = None  # set to a folder to keep screenshots


def make_window(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    return window


def _answer_file(monkeypatch, path):
    asked = []
    monkeypatch.setattr(backup_actions, "ask_backup_file", lambda parent, suggested: asked.append(suggested) or (
        str(path) if path else ""))
    return asked


def test_reminder_banner_until_a_backup_is_made_from_its_button(qtbot, ctx, village, tmp_path, monkeypatch):
    window = make_window(qtbot, ctx)
    banner = window.backup_banner
    assert banner.isVisible() and "まだ一度もバックアップされていません" in banner.text.text()
    target = tmp_path / "usb" / "村のバックアップ.shakyo-backup"
    target.parent.mkdir()
    asked = _answer_file(monkeypatch, target)

    qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].endswith(".shakyo-backup")
    name = asked[0].rsplit("/", 1)[-1]
    assert name.startswith("山里村社会福祉協議会_バックアップ_令和") and name.endswith("日.shakyo-backup")
    assert target.is_file() and backup.read_contents(target, ctx.store.data_key).council_name == "山里村社会福祉協議会"
    box = window.backup_runner.message_box
    assert box is not None and box.icon() == QMessageBox.Icon.Information
    assert "読み直して確かめました" in box.text() and str(target) in box.text()
    assert window.backup_runner.busy is None  # the progress dialog is gone
    assert not banner.isVisible()
    # next time the file dialog opens where the last backup went
    assert window.backup_runner.suggested_path().startswith(str(target.parent))


def test_banner_comes_back_when_the_last_backup_is_older_than_the_setting(qtbot, ctx, tmp_path):
    made = backup.create_backup(ctx.store, tmp_path / "b.shakyo-backup")
    with ctx.store.write() as w:  # pretend it was made ten days ago
        w.conn.execute(sa.update(DeviceState).where(DeviceState.id == 1),
                       {"last_backup_at": made.created_at - timedelta(days=10)})
    window = make_window(qtbot, ctx)
    assert window.backup_banner.isVisible()
    assert "最後のバックアップから10日たっています" in window.backup_banner.text.text()
    assert "7日ごと" in window.backup_banner.text.text()

    page = window.show_page("settings")
    assert page.backup_days.value() == 7 and "令和" in page.last_backup.text()
    page.backup_days.setValue(30)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert get_settings(ctx.store).backup_reminder_days == 30
    assert not window.backup_banner.isVisible()
    if SHOTS:
        page.grab().save(f"{SHOTS}/settings-backup.png")


def admin_menu(window):
    """The 管理 menu by its title (the menus' order changes as menus are added)."""
    return next((a.menu() for a in window.menuBar().actions() if a.text().startswith("管理")), None)


def test_backup_from_the_admin_menu_and_a_refusal(qtbot, ctx, tmp_path, monkeypatch):
    window = make_window(qtbot, ctx)
    titles = [a.text() for a in admin_menu(window).actions()]
    assert "バックアップを作成…" in titles
    _answer_file(monkeypatch, tmp_path / "no-such-folder" / "b.shakyo-backup")
    window.backup_action.trigger()
    box = window.backup_runner.message_box
    assert box.icon() == QMessageBox.Icon.Warning and "見つかりません" in box.text()
    assert window.backup_banner.isVisible() and backup.backup_status(ctx.store).last_backup_at is None

    _answer_file(monkeypatch, None)  # cancelled: nothing happens
    window.backup_runner.message_box = None
    window.backup_action.trigger()
    assert window.backup_runner.message_box is None

    _answer_file(monkeypatch, tmp_path / "from-menu")  # no extension typed: it is added
    window.backup_action.trigger()
    assert (tmp_path / "from-menu.shakyo-backup").is_file()


def test_settings_page_button_starts_a_backup(qtbot, ctx, tmp_path, monkeypatch):
    window = make_window(qtbot, ctx)
    page = window.show_page("settings")
    assert page.last_backup.text() == "まだありません"
    _answer_file(monkeypatch, tmp_path / "s.shakyo-backup")
    qtbot.mouseClick(page.backup_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "s.shakyo-backup").is_file()
    assert "このパソコンで作成" in page.last_backup.text()


def test_no_banner_or_backup_for_other_roles(qtbot, store, executor, ui_settings):
    accounts.add_account(store, "sato", "佐藤", Role.COORDINATOR, PASSPHRASE + "x", kdf=FAST_KDF)
    other = unlock(store.layout.root, "sato", PASSPHRASE + "x")
    window = make_window(qtbot, AppContext(other, executor, ui_settings, get_settings(other)))
    assert not window.backup_banner.isVisible()
    menu = admin_menu(window)
    assert menu is None or "バックアップを作成…" not in [a.text() for a in menu.actions()]
    other.close()
