import pytest
from PySide6.QtCore import QSettings

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import districts, households
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import create_store
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext, set_default_navigator
from shakyo_desk.ui.navigator import Navigator
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import SyncExecutor

PASSPHRASE = "correct horse 1"


@pytest.fixture(scope="session", autouse=True)
def _japanese_ui(qapp):
    from shakyo_desk.ui.style import setup_application

    setup_application(qapp)
    qapp.setQuitOnLastWindowClosed(False)


@pytest.fixture(scope="session", autouse=True)
def _screens_open_the_real_dialogs():
    """A context built here without a main window opens the same dialogs as the app's
    (the main window gives its own context a navigator that also shows pages)."""
    set_default_navigator(Navigator)


@pytest.fixture
def executor():
    return SyncExecutor()


@pytest.fixture
def ui_settings(tmp_path):
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def store_and_key(store_dir):
    store, key = create_store(store_dir, "山里村社会福祉協議会", "admin", PASSPHRASE, admin_name="管理 太郎",
                              municipality="山里村", kdf=FAST_KDF)
    yield store, key
    if store.is_open:
        store.close()


@pytest.fixture
def store(store_and_key):
    return store_and_key[0]


@pytest.fixture
def village(store):
    """Two districts and a few households."""
    north = districts.add_district(store, "北地区", "きたちく")
    kami = districts.add_district(store, "上町", "かみまち", parent_id=north)
    south = districts.add_district(store, "南地区", "みなみちく")
    ids = {
        "yamada": households.add_household(store, kami, "山田 花子", "ヤマダ ハナコ", address="山里村北1-2",
                                           phone="0267-11-2222", flags=["一人暮らし高齢者"]),
        "suzuki": households.add_household(store, south, "鈴木 一郎", "スズキ イチロウ", address="山里村南5"),
        "tanaka": households.add_household(store, north, "田中 正", "タナカ タダシ", address="山里村北8"),
    }
    return {"districts": {"north": north, "kami": kami, "south": south}, "households": ids}


@pytest.fixture
def ctx(store, executor, ui_settings):
    return AppContext(store=store, executor=executor, ui_settings=ui_settings, council=get_settings(store),
                      kdf=FAST_KDF)


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """Scripted answers to confirmation questions (no modal boxes in tests)."""
    replies: list[bool] = []
    asked: list[str] = []

    def fake_confirm(parent, title, text, *, yes=None):
        asked.append(text)
        return replies.pop(0) if replies else True

    monkeypatch.setattr(dialogs, "confirm", fake_confirm)
    return replies, asked
