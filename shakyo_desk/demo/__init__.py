"""Demo data: a store of an obviously fictional village (みどり村, 架空県).

``generate`` creates and fills a store for training and trying the app;
``open_demo`` opens (creating it the first time) the demo store without
asking anything. No Qt here: the UI shows progress through ``progress``."""

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from shakyo_desk.domain.errors import InvalidInput, StoreError

DEMO_LOGIN = "demo"
DEMO_PASSPHRASE = "demo-village"  # fictional demo only, printed in the manual

Progress = Callable[[int, int, str], None]

__all__ = ["DEMO_LOGIN", "DEMO_PASSPHRASE", "PROFILES", "generate", "open_demo", "make_plan"]


def __getattr__(name: str):
    if name in ("PROFILES", "make_plan"):
        from shakyo_desk.demo import generator

        return getattr(generator, name)
    raise AttributeError(name)


def _profile(profile: str):
    from shakyo_desk.demo.generator import PROFILES

    if profile not in PROFILES:
        raise InvalidInput(f"規模「{profile}」はありません。{' / '.join(PROFILES)} のどれかを指定してください。")
    return PROFILES[profile]


def generate(root: Path, profile: str = "village", seed: int | None = None, *, login: str = DEMO_LOGIN,
             passphrase: str = DEMO_PASSPHRASE, kdf: dict | None = None, progress: Progress | None = None,
             today: date | None = None):
    """Create a demo store at ``root`` and fill it; returns (store unlocked as the admin, recovery key).

    The staff accounts made for the demo (coordinator1, staff1, reporter1, …)
    get the same passphrase as the admin."""
    from shakyo_desk.store.keyfile import derive_kek

    prof = _profile(profile)
    root = Path(root)
    # The staff accounts' key (Argon2id releases the GIL) on the other core while the plan is
    # made and the store created.
    with ThreadPoolExecutor(1, thread_name_prefix="demo-kdf") as pool:
        derived = pool.submit(derive_kek, passphrase, kdf)
        return _generate(root, prof, seed, login, passphrase, kdf, progress, today, derived)


def _generate(root: Path, prof, seed, login, passphrase, kdf, progress, today, derived):
    from shakyo_desk.demo.generator import WriteContext, all_write_steps, make_plan, write_plan
    from shakyo_desk.store.paths import StoreLayout
    from shakyo_desk.store.store import create_store

    plan = make_plan(prof, seed, today)
    total = 2 + sum(s.units(plan) for s in all_write_steps())
    if progress:
        progress(0, total, "デモ用のデータフォルダを作っています")
    existed = root.exists()
    store, recovery_key = create_store(root, plan.council_name, login, passphrase, admin_name=plan.admin_name,
                                       municipality=f"{plan.municipality}（架空）", is_demo=True, kdf=kdf)
    try:
        if progress:
            progress(1, total, "デモ用のデータフォルダを作っています")
        ctx = WriteContext(store, plan, kdf, passphrase, derived=derived)
        write_plan(ctx, progress, done_before=1, total=total)
    except BaseException:
        store.close()
        layout = StoreLayout(root)
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for path in (layout.database, layout.key_file, layout.unlock_state):
                for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                    candidate.unlink(missing_ok=True)
        raise
    if progress:
        progress(total, total, "できあがりました")
    return store, recovery_key


def open_demo(root: Path | None = None, progress: Progress | None = None, *, kdf: dict | None = None,
              today: date | None = None):
    """The demo store, unlocked as the demo admin; generated (village) the first time, as of
    ``today`` (default: the clock's today).

    Generation happens in a side folder that is moved into place only when
    complete, so an interrupted first start never leaves half a village.
    ``kdf`` (tests only) makes the passphrase wrapping cheap."""
    from shakyo_desk.store.paths import StoreLayout, default_demo_dir
    from shakyo_desk.store.store import unlock
    from shakyo_desk.store.services import drops  # noqa: F401  (registers its unlock hook)

    root = Path(root) if root is not None else default_demo_dir()
    if not StoreLayout(root).exists():
        if root.exists() and any(root.iterdir()):
            raise StoreError(f"デモ用のフォルダ「{root}」に別のファイルがあります。フォルダを空にしてからもう一度お試しください。")
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        store, _ = generate(partial, "village", progress=progress, kdf=kdf, today=today)
        store.close()
        if root.exists():
            root.rmdir()  # empty, checked above
        partial.rename(root)
    return unlock(root, DEMO_LOGIN, DEMO_PASSPHRASE)
