import json

import pytest

from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line

demo = pytest.importorskip("shakyo_desk.demo")
if not hasattr(demo, "generate"):
    pytest.skip("shakyo_desk.demo.generate is not there yet", allow_module_level=True)


def test_demo_creates_a_fictional_store(cli, store_dir):
    code, out, err = cli("demo", "--seed", "7", "--format", "json", user="trainer")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["store"] == str(store_dir.absolute()) and doc["profile"] == "village" and doc["seed"] == 7
    assert doc["households"] > 0 and doc["recovery_key"] and doc["recovery_identity"] is None
    store = unlock(store_dir, "trainer", PASSPHRASE)
    try:
        assert get_settings(store).is_demo
    finally:
        store.close()
    code, out, _ = cli("household", "list", "--format", "json", "--limit", "0", user="trainer")
    assert code == 0 and len(json.loads(out)) == doc["households"]
    assert cli("check", user="trainer")[0] == 0


def test_demo_text(cli, store_dir):
    code, out, err = cli("demo", "--seed", "1", user="trainer")
    assert code == 0, err
    assert "デモ" in out and "復旧キー" in out


def test_demo_unknown_profile(cli, store_dir):
    code, out, err = cli("demo", "--profile", "metropolis", user="trainer")
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert not StoreLayout(store_dir).exists()


def test_demo_refuses_existing_store(cli, initialised):
    code, _, err = cli("demo", user="trainer")
    assert code == 6
    assert_one_japanese_line(err)
