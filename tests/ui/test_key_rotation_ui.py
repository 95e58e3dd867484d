"""The アカウント page's 「無効にする」 rotates the data key behind a progress dialog and says
what it did; 「復旧キーを作り直す」 shows a new recovery key once; the unlock dialog reports a
rotation's progress and the notices an unlock leaves are shown."""

import pytest
from PySide6.QtWidgets import QMessageBox

from shakyo_desk.domain.roles import Role
from shakyo_desk.store import rekey
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock, unlock_with_recovery
from shakyo_desk.ui import key_actions
from shakyo_desk.ui.pages import accounts as accounts_page
from shakyo_desk.ui.pages.accounts import AccountsPage
from shakyo_desk.ui.unlock import UnlockDialog
from tests.ui.helpers import click, type_text


class RecordedProgress(key_actions.KeyProgress):
    shown: list = []

    def _moved(self, done, total, text):
        RecordedProgress.shown.append((done, total, text, self.dialog.isVisible()))
        super()._moved(done, total, text)


@pytest.fixture
def page(qtbot, ctx, monkeypatch):
    accounts.add_account(ctx.store, "suzuki", "鈴木 職員", Role.STAFF, "suzuki pass", kdf=FAST_KDF)
    monkeypatch.setattr(accounts_page, "KeyProgress", RecordedProgress)
    RecordedProgress.shown = []
    page = AccountsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


def _row(page, login: str) -> int:
    return next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text() == login)


def test_disable_rotates_behind_a_progress_dialog_and_says_so(qtbot, page, ctx, store_dir, answers):
    old_key = KeyFile.load(store_dir / "keys.json").unwrap_for_account("suzuki", "suzuki pass")
    page.table.selectRow(_row(page, "suzuki"))
    click(qtbot, page.disable_button)

    assert any("鍵を作り直します" in text for text in answers[1])  # the question says what will happen
    assert RecordedProgress.shown and all(visible for *_rest, visible in RecordedProgress.shown)
    assert RecordedProgress.shown[-1][:2] == (100, 100)
    assert page.progress is None
    box = page.notice_box
    qtbot.addWidget(box)
    assert box.isVisible() and "データの鍵を作り直しました" in box.text()
    assert page.table.item(_row(page, "suzuki"), 4).text() == "無効"
    assert ctx.store.data_key != old_key
    unlock(store_dir, "admin", "correct horse 1").close()


def test_renewing_the_recovery_key_shows_it_once(qtbot, page, store_dir):
    click(qtbot, page.recovery_button)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and not dialog.buttons.buttons()[0].isEnabled()
    key = dialog.key
    assert "  ".join(key.split("-")) == dialog.key_label.text()
    dialog.confirm.setChecked(True)
    click(qtbot, dialog.buttons.buttons()[0])
    assert not dialog.isVisible()
    unlock_with_recovery(store_dir, key, "admin", "recovered pass").close()


def test_the_unlock_dialog_reports_a_rotation_and_the_window_shows_the_notices(qtbot, store, store_dir, executor,
                                                                                ui_settings, monkeypatch):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 職員", Role.STAFF, "suzuki pass", kdf=FAST_KDF)
    real_rotate = rekey.rotate

    def cannot_now(*_args, **_kwargs):
        raise rekey.RotationFailed("ほかで開いています。", True)

    monkeypatch.setattr(rekey, "rotate", cannot_now)
    accounts.disable_account(store, staff_id)  # the rotation could not run: due at the next unlock
    monkeypatch.setattr(rekey, "rotate", real_rotate)
    store.close()

    seen = []
    dialog = UnlockDialog(store_dir, executor, ui_settings, login="admin")
    qtbot.addWidget(dialog)
    dialog._progress.moved.connect(lambda done, total, text: seen.append(dialog.progress_label.text()))
    opened = []
    dialog.unlocked.connect(opened.append)
    type_text(qtbot, dialog.passphrase, "correct horse 1")
    click(qtbot, dialog.unlock_button)
    assert opened and any("鍵を作り直しています" in text for text in seen)
    assert any("作り直しました" in n for n in opened[0].notices)
    box = key_actions.show_notices(None, opened[0].notices)
    assert isinstance(box, QMessageBox) and "作り直しました" in box.text()
    box.close()
    opened[0].close()
