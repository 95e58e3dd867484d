"""Helpers for the field-record command tests: run a service as an account, add accounts."""

from contextlib import contextmanager

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE


@contextmanager
def opened(store_dir, login="admin"):
    store = unlock(store_dir, login, PASSPHRASE)
    try:
        yield store
    finally:
        store.close()


def add_account(store_dir, login, role, district_ids=()):
    with opened(store_dir) as store:
        accounts.add_account(store, login, f"{login} さん", role, PASSPHRASE, district_ids=list(district_ids),
                             kdf=FAST_KDF)
