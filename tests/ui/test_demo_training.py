"""Training mode in the demo (issue 17): the demo's lock screen offers its admin, a coordinator,
a staff member and a reporter, each opened without a passphrase into that role's screens, with
a sentence on what each sees. A real store's lock screen offers no such choice, and the demo's
way in opens no store but the demo's."""

import shutil

import pytest
from PySide6.QtWidgets import QPushButton

from shakyo_desk import demo
from shakyo_desk.demo.training import NOT_DEMO, TRAINING_ACCOUNTS, open_demo_as
from shakyo_desk.domain.errors import StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import create_store, unlock
from shakyo_desk.ui.app import AppController, DemoResumeDialog
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.unlock import UnlockDialog
from tests.ui.demo_village import village_template
from tests.ui.helpers import click

ROLES = {"demo": Role.ADMIN, "coordinator1": Role.COORDINATOR, "staff1": Role.STAFF, "reporter1": Role.REPORTER}


def has_roles(dialog) -> bool:
    return any(b.text().endswith(("として開く", "のまま再開")) for b in dialog.findChildren(QPushButton))


def nav_titles(window):
    return [window.nav.item(i).text().split("（")[0] for i in range(window.nav.count())]


@pytest.fixture
def demo_dir(tmp_path_factory, tmp_path, monkeypatch):
    """A copy of the generated demo village where the app looks for the demo."""
    root = tmp_path / "demo"
    shutil.copytree(village_template(tmp_path_factory), root)
    monkeypatch.setattr(paths, "default_demo_dir", lambda: root)
    return root


def lock(qtbot, window) -> DemoResumeDialog:
    window.lock()
    dialog = window.unlock_dialog
    assert isinstance(dialog, DemoResumeDialog) and dialog.isVisible()
    return dialog


def test_the_demo_lock_screen_opens_each_role(qtbot, executor, ui_settings, demo_dir):
    controller = AppController(executor, ui_settings, None, demo=True, kdf=FAST_KDF)
    controller.start()
    window = controller.window
    qtbot.addWidget(window)
    assert window.ctx.role == Role.ADMIN
    for login in ("coordinator1", "staff1", "reporter1", "demo"):
        dialog = lock(qtbot, window)
        assert list(dialog.choices) == ["demo", "coordinator1", "staff1", "reporter1"]
        for account in TRAINING_ACCOUNTS:  # a title and one sentence each, in Japanese
            button, sentence = dialog.choices[account.login], dialog.sentences[account.login]
            assert button.isVisible() and sentence.isVisible() and sentence.text() == account.sees
            current = account.login == window.ctx.store.actor.login
            assert button.text() == account.title + ("のまま再開" if current else "として開く")
            assert account.sees.endswith("。") and account.sees.count("。") <= 2
        assert dialog.resume is dialog.choices[window.ctx.store.actor.login] and dialog.resume.isDefault()
        window.idle.stop()
        click(qtbot, dialog.choices[login])
        qtbot.waitUntil(lambda: controller.window is not window or not window.locked, timeout=5000)
        window = controller.window
        qtbot.addWidget(window)
        assert window.ctx.store.actor.login == login and window.ctx.role == ROLES[login]
        titles = nav_titles(window)
        if login == "reporter1":
            assert titles == ["把握シート"]  # the reporter's view
        else:
            assert "世帯" in titles and "訪問記録" in titles
            assert ("会議" in titles) == (login in ("demo", "coordinator1"))
            assert ("アカウント" in titles) == (login == "demo")
    window.idle.stop()
    window.ctx.store.close()


def test_missing_training_accounts_are_made_again(tmp_path, monkeypatch):
    """An older demo (or one where an account was removed while training): the demo's admin
    makes the account with the demo passphrase; a reporter gets a key pair."""
    root = tmp_path / "demo"
    store, _ = create_store(root, "デモ村社会福祉協議会", demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE, is_demo=True,
                            kdf=FAST_KDF)
    from shakyo_desk.store.services import districts

    area = districts.add_district(store, "北地区", "きたちく")
    leaf = districts.add_district(store, "上町", "かみまち", parent_id=area)
    store.close()
    for login, role in ROLES.items():
        opened = open_demo_as(login, root, kdf=FAST_KDF)
        try:
            assert opened.actor.login == login and opened.actor.role == role
        finally:
            opened.close()
    admin = unlock(root, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    try:
        made = {a.login: a for a in accounts.list_accounts(admin)}
        assert made["staff1"].district_ids == (leaf,) and made["reporter1"].role == Role.REPORTER
    finally:
        admin.close()


def test_a_real_store_is_never_opened_without_its_passphrase(tmp_path):
    root = tmp_path / "real"
    store, _ = create_store(root, "山里村社会福祉協議会", demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE, kdf=FAST_KDF)
    store.close()  # even with the demo's login and passphrase, not marked as the demo
    with pytest.raises(StoreError) as refused:
        open_demo_as("coordinator1", root, kdf=FAST_KDF)
    assert refused.value.message == NOT_DEMO
    admin = unlock(root, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    try:
        assert [a.login for a in accounts.list_accounts(admin)] == [demo.DEMO_LOGIN]  # nothing was made
    finally:
        admin.close()


def test_a_real_stores_lock_screen_has_no_roles_to_choose(qtbot, executor, ui_settings, store_dir, store):
    store.close()
    controller = AppController(executor, ui_settings, store_dir, kdf=FAST_KDF)
    controller.start()
    dialog = controller.unlock_dialog
    qtbot.addWidget(dialog)
    assert isinstance(dialog, UnlockDialog) and not has_roles(dialog)
    ctx_store = unlock(store_dir, "admin", "correct horse 1")
    controller.open_main(ctx_store)
    window = controller.window
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    window.lock()
    locked = window.unlock_dialog
    assert isinstance(locked, UnlockDialog) and not isinstance(locked, DemoResumeDialog)
    assert not has_roles(locked)
    window.idle.stop()
    locked.done(0)
