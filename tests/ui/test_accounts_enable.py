"""The アカウント page's 「有効にする」: a disabled account gets a new passphrase and unlocks again."""

import pytest

from shakyo_desk.domain.errors import AuthError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.pages.accounts import AccountsPage
from tests.ui.helpers import click, type_text


@pytest.fixture
def page(qtbot, ctx):
    staff_id = accounts.add_account(ctx.store, "suzuki", "鈴木 職員", Role.STAFF, "old suzuki pass", kdf=FAST_KDF)
    accounts.disable_account(ctx.store, staff_id)
    page = AccountsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


def _row(page, login: str) -> int:
    return next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text() == login)


def test_enable_asks_for_a_new_passphrase_and_the_account_unlocks_with_it(qtbot, page, store_dir):
    row = _row(page, "suzuki")
    assert page.table.item(row, 4).text() == "無効"
    page.table.selectRow(row)
    click(qtbot, page.enable_button)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and "suzuki" in dialog.windowTitle() and dialog.ok_button.text() == "有効にする"

    type_text(qtbot, dialog.new, "new suzuki pass")
    type_text(qtbot, dialog.again, "new suzuki pasz")
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and "一致しません" in dialog.errors.text()
    dialog.again.clear()
    type_text(qtbot, dialog.again, "new suzuki pass")
    click(qtbot, dialog.ok_button)

    assert not dialog.isVisible()
    assert "suzuki" in page.notice.text() and "有効にしました" in page.notice.text()
    assert page.table.item(_row(page, "suzuki"), 4).text() == "有効"
    opened = unlock(store_dir, "suzuki", "new suzuki pass")
    assert opened.actor.login == "suzuki" and opened.actor.role == Role.STAFF
    opened.close()
    with pytest.raises(AuthError):
        unlock(store_dir, "suzuki", "old suzuki pass")


def test_enable_shows_the_services_refusal_in_the_dialog(qtbot, page, store_dir):
    page.table.selectRow(_row(page, "suzuki"))
    click(qtbot, page.enable_button)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.new, "short")
    type_text(qtbot, dialog.again, "short")
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and "8文字以上" in dialog.errors.text()
    assert page.table.item(_row(page, "suzuki"), 4).text() == "無効"
    with pytest.raises(AuthError):
        unlock(store_dir, "suzuki", "short")


def test_enable_on_an_active_account_says_what_to_do(qtbot, page):
    page.table.selectRow(_row(page, "admin"))
    click(qtbot, page.enable_button)
    assert page.dialog is None
    assert "有効なアカウント" in page.errors.text()
