import pytest

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, districts
from shakyo_desk.store.store import create_store, unlock

PASSPHRASE = "correct horse 1"


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def store(store_dir):
    s, _ = create_store(store_dir, "テスト村社会福祉協議会", "admin", PASSPHRASE, admin_name="管理 太郎", kdf=FAST_KDF)
    yield s
    if s.is_open:
        s.close()


@pytest.fixture
def store_and_key(store_dir):
    s, recovery = create_store(store_dir, "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    yield s, recovery
    if s.is_open:
        s.close()


@pytest.fixture
def district(store):
    return districts.add_district(store, "上町", "かみまち")


def login_as(store, login, role, district_ids=()):
    """A new account of ``role`` in the same store, unlocked (close it when done)."""
    accounts.add_account(store, login, login, role, f"{login} passphrase", district_ids=list(district_ids), kdf=FAST_KDF)
    return unlock(store.layout.root, login, f"{login} passphrase")
