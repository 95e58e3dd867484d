"""The statistics suppression threshold (migration 0005): a council setting, 3 by default,
also in stores made before it existed."""

import shutil
from pathlib import Path

import pytest

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.store import migrate
from shakyo_desk.store.services.council import get_settings, update_settings
from shakyo_desk.store.store import unlock
from tests.store.conftest import login_as

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"


def test_new_store_suppresses_below_three(store):
    assert get_settings(store).stats_suppression_threshold == 3


def test_admin_changes_the_threshold_within_its_range(store):
    assert update_settings(store, stats_suppression_threshold="5").stats_suppression_threshold == 5
    assert get_settings(store).stats_suppression_threshold == 5
    for bad in (0, 21, "三"):
        with pytest.raises(InvalidInput) as err:
            update_settings(store, stats_suppression_threshold=bad)
        assert "統計で伏せる件数" in err.value.message
    assert get_settings(store).stats_suppression_threshold == 5


def test_only_an_admin_changes_it(store):
    coordinator = login_as(store, "coord", "coordinator")
    try:
        with pytest.raises(PermissionDenied):
            update_settings(coordinator, stats_suppression_threshold=4)
    finally:
        coordinator.close()
    assert get_settings(store).stats_suppression_threshold == 3


def test_store_of_schema_0004_gets_the_default(tmp_path):
    root = tmp_path / "old"
    shutil.copytree(FIXTURES / "schema-0004", root)
    store = unlock(root, "admin", "fixture passphrase")
    try:
        assert "0005" in migrate.known_revisions()
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert get_settings(store).stats_suppression_threshold == 3
    finally:
        store.close()
