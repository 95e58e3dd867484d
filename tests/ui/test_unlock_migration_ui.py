"""The unlock dialog on a store that needs migration 0019 (change log v2, issue 20): the copy
before, the rows converted and the VACUUM after are shown under the button, with a percent."""

import shutil
from pathlib import Path

from shakyo_desk.store import changes_codec, migrate
from shakyo_desk.ui.unlock import UnlockDialog
from tests.ui.helpers import click, type_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"


def test_the_unlock_dialog_shows_the_migration(qtbot, tmp_path, executor, ui_settings, monkeypatch):
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    monkeypatch.setattr(changes_codec, "MIGRATION_BATCH", 5)
    seen = []
    dialog = UnlockDialog(root, executor, ui_settings, login="admin")
    qtbot.addWidget(dialog)
    dialog._progress.moved.connect(lambda done, total, text: seen.append(dialog.progress_label.text()))
    opened = []
    dialog.unlocked.connect(opened.append)
    type_text(qtbot, dialog.passphrase, "fixture passphrase")
    click(qtbot, dialog.unlock_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=60_000)
    assert any(migrate.BACKING_UP in text for text in seen)
    assert any(migrate.MIGRATING in text and "%）" in text for text in seen)
    assert any(migrate.TIDYING in text for text in seen)
    assert list((root / "backups").glob("before-migration-0018-*.db"))
    assert migrate.current_revision(opened[0].engine) == migrate.head_revision()
    opened[0].close()
