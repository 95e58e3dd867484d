"""The CLI opening a store that needs migration 0019 (change log v2, issue 20): progress lines
on stderr, the store migrated, the backup taken before."""

import shutil
from pathlib import Path

from shakyo_desk.store import changes_codec, migrate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"


def test_cli_reports_the_migration_on_stderr(cli, store_dir, monkeypatch):
    shutil.copytree(FIXTURES / "schema-0018", store_dir)
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "fixture passphrase")
    monkeypatch.setattr(changes_codec, "MIGRATION_BATCH", 3)
    code, out, err = cli("check")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[:2] == [migrate.BACKING_UP, migrate.MIGRATING]
    assert migrate.TIDYING in lines and any(line.strip().endswith("%") for line in lines)
    assert list((store_dir / "backups").glob("before-migration-0018-*.db"))
