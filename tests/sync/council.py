"""Real installations of one council for sync tests: an office store made by `init`, laptops
enrolled from it with real enrolment files, bundles written to and read from real folders."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import districts, households
from shakyo_desk.store.store import create_store

PASSPHRASE = "correct horse 1"


def make_office(root: Path):
    store, kit = create_store(root / "office", "テスト村社会福祉協議会", "admin", PASSPHRASE,
                              admin_name="管理 太郎", kdf=FAST_KDF)
    return store, kit


def enrol(office, root: Path, name: str, districts: list[str] | None = None, login: str = "admin"):
    folder = root / f"enrol-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    code = devices.add_device(office, name, folder / "enrolment.shakyo", districts, kdf=FAST_KDF)
    store, _ = devices.join(root / f"store-{name}", folder / "enrolment.shakyo", code, login, PASSPHRASE,
                            kdf=FAST_KDF)
    return store


def carry(source, target, folder: Path, **export_options):
    """Export from one store into a folder (a USB stick) and import that file into another."""
    folder.mkdir(parents=True, exist_ok=True)
    exported = export_bundle(source, folder, **export_options)
    return exported, import_paths(target, [exported.path])


@contextmanager
def office_with_laptop(root: Path) -> Iterator[tuple]:
    """An office with one district (上町) and one household in it, and an enrolled laptop:
    (office, laptop, household id); both stores are closed afterwards."""
    office, _ = make_office(root)
    try:
        district = districts.add_district(office, "上町", "かみまち")
        household = households.add_household(office, district, "架空 上子", address="架空村上町1")
        laptop = enrol(office, root, "laptop1")
        try:
            yield office, laptop, household
        finally:
            laptop.close()
    finally:
        office.close()
