"""A real demo village (みどり村: conferences, consents and handout copies) for UI tests.

Generating it takes a while, so it is made once per test run and each test gets its own
copy of the files, unlocked as the account it asks for."""

import shutil
from pathlib import Path

import pytest

from shakyo_desk import demo
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext

_made: dict[str, Path] = {}


def village_template(tmp_path_factory) -> Path:
    if "village" not in _made:
        root = tmp_path_factory.mktemp("demo-village") / "store"
        store, _ = demo.generate(root, "village", kdf=FAST_KDF)
        store.close()
        _made["village"] = root
    return _made["village"]


def open_copy(template: Path, target: Path, login: str = demo.DEMO_LOGIN):
    shutil.copytree(template, target)
    return unlock(target, login, demo.DEMO_PASSPHRASE)


@pytest.fixture
def demo_store(tmp_path_factory, tmp_path):
    store = open_copy(village_template(tmp_path_factory), tmp_path / "village")
    yield store
    if store.is_open:
        store.close()


@pytest.fixture
def demo_ctx(demo_store, executor, ui_settings):
    return AppContext(store=demo_store, executor=executor, ui_settings=ui_settings, council=get_settings(demo_store),
                      kdf=FAST_KDF, demo=True)
