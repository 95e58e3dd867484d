import json

import pytest

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import create_store, unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line

demo = pytest.importorskip("shakyo_desk.demo")
if not hasattr(demo, "generate"):
    pytest.skip("shakyo_desk.demo.generate is not there yet", allow_module_level=True)


@pytest.mark.slow
def test_demo_creates_a_fictional_store(cli, store_dir):
    code, out, err = cli("demo", "--seed", "7", "--format", "json", user="trainer")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["store"] == str(store_dir.absolute()) and doc["profile"] == "village" and doc["seed"] == 7
    assert doc["households"] > 0 and doc["recovery_key"] and doc["recovery_identity"].startswith("AGE-SECRET-KEY-1")
    store = unlock(store_dir, "trainer", PASSPHRASE)
    try:
        assert get_settings(store).is_demo
    finally:
        store.close()
    code, out, _ = cli("household", "list", "--format", "json", "--limit", "0", user="trainer")
    assert code == 0 and len(json.loads(out)) == doc["households"]
    assert cli("check", user="trainer")[0] == 0


def test_demo_text_passes_options_and_reports_progress(cli, store_dir, monkeypatch):
    """The output around the generator, with a quick stand-in for it."""
    calls = []

    def quick_generate(root, profile="village", seed=None, *, login, passphrase, kdf=None, progress=None):
        calls.append((root, profile, seed, login, passphrase, kdf))
        progress(0, 2, "作成中")
        store, key = create_store(root, "みどり村社会福祉協議会（架空）", login, passphrase, is_demo=True, kdf=kdf)
        progress(2, 2, "できあがりました")
        return store, key

    monkeypatch.setattr(demo, "generate", quick_generate)
    code, out, err = cli("demo", "--profile", "large-town", "--seed", "3", user="trainer")
    assert code == 0, err
    assert calls == [(store_dir.absolute(), "large-town", 3, "trainer", PASSPHRASE, FAST_KDF)]
    assert "デモ" in out and "復旧キー" in out and "みどり村" in out
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1  # one progress note, no live line


def test_demo_unknown_profile(cli, store_dir):
    code, out, err = cli("demo", "--profile", "metropolis", user="trainer")
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert not StoreLayout(store_dir).exists()


def test_demo_refuses_existing_store(cli, initialised):
    code, _, err = cli("demo", user="trainer")
    assert code == 6
    assert_one_japanese_line(err)
