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

__all__ = ["DEMO_LOGIN", "DEMO_PASSPHRASE", "PROFILES", "DemoInterrupted", "DemoRest", "generate", "open_demo",
           "open_demo_early", "make_plan"]


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
    store, recovery_key, _ctx = _generate(root, profile, seed, login, passphrase, kdf, progress, today, first=None)
    return store, recovery_key


def _generate(root: Path, profile: str, seed, login, passphrase, kdf, progress, today, *, first,
              plan_steps=None):
    """``first``: the write steps to run now (None: all), ``plan_steps`` the plan steps they need
    (None: all). Returns (store, recovery key, the write context, which the remaining steps
    need; its ``derived`` holds the passphrase's key for the unlocks that follow)."""
    from shakyo_desk.store.keyfile import derive_kek

    prof = _profile(profile)
    root = Path(root)
    # Every demo account has the demo's passphrase (printed in the manual): one Argon2id
    # derivation, with one salt, for all of them, done (it releases the GIL) on the other core
    # while the plan is made.
    with ThreadPoolExecutor(1, thread_name_prefix="demo-kdf") as pool:
        derived = pool.submit(derive_kek, passphrase, kdf)
        return _write(root, prof, seed, login, passphrase, kdf, progress, today, derived, first, plan_steps)


def _write(root: Path, prof, seed, login, passphrase, kdf, progress, today, derived, first, plan_steps):
    from shakyo_desk.demo.generator import WriteContext, all_write_steps, make_plan, write_plan
    from shakyo_desk.store.paths import StoreLayout
    from shakyo_desk.store.store import create_store

    plan = make_plan(prof, seed, today, steps=plan_steps)
    steps = all_write_steps() if first is None else first
    total = 2 + sum(s.units(plan) for s in steps)
    if progress:
        progress(0, total, "デモ用のデータフォルダを作っています")
    existed = root.exists()
    derived = derived.result()
    store, recovery_key = create_store(root, plan.council_name, login, passphrase, admin_name=plan.admin_name,
                                       municipality=f"{plan.municipality}（架空）", is_demo=True, kdf=kdf,
                                       derived=derived)
    try:
        if progress:
            progress(1, total, "デモ用のデータフォルダを作っています")
        ctx = WriteContext(store, plan, kdf, passphrase, derived=derived)
        write_plan(ctx, progress, done_before=1, total=total, steps=steps)
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
    return store, recovery_key, ctx


# In the demo folder from the moment it is moved into place until the whole village is
# written (open_demo_early): a folder that still holds it was stopped halfway and is made again.
PENDING = "demo-pending.txt"


class DemoInterrupted(Exception):
    """The rest of the village was stopped (the app closing): the next start makes it again."""


def _check_demo_dir(root: Path) -> None:
    """An unfinished village (``PENDING``, from a first start stopped halfway) goes; anything
    else that is not a store is refused."""
    from shakyo_desk.store.paths import StoreLayout

    unfinished = root.with_name(root.name + ".unfinished")
    shutil.rmtree(unfinished, ignore_errors=True)  # left by a start killed while removing it
    if (root / PENDING).exists():
        # Ours, fictional and unfinished (nothing lost but trials). Moved aside first: a removal
        # cut halfway never leaves a store without its mark, taken for a whole village.
        root.rename(unfinished)
        shutil.rmtree(unfinished, ignore_errors=True)
    if not StoreLayout(root).exists() and root.exists() and any(root.iterdir()):
        raise StoreError(f"デモ用のフォルダ「{root}」に別のファイルがあります。フォルダを空にしてからもう一度お試しください。")


def _move_into_place(partial: Path, root: Path) -> None:
    if root.exists():
        root.rmdir()  # empty, checked before
    partial.rename(root)


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
    _check_demo_dir(root)
    if not StoreLayout(root).exists():
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        store, _, ctx = _generate(partial, "village", None, DEMO_LOGIN, DEMO_PASSPHRASE, kdf, progress, today,
                                  first=None)
        store.close()
        _move_into_place(partial, root)
        return unlock(root, DEMO_LOGIN, DEMO_PASSPHRASE, derived=ctx.derived)
    return unlock(root, DEMO_LOGIN, DEMO_PASSPHRASE)


def open_demo_early(root: Path | None = None, progress: Progress | None = None, *, kdf: dict | None = None,
                    today: date | None = None):
    """The desktop's ``--demo`` (issue 20): (store unlocked as the demo admin, rest). On the first
    start the village's districts, accounts, agencies and households are written, in a side
    folder moved into place with ``PENDING`` in it, and the store is opened: the window can show
    and be used while ``rest.run`` (any thread, its own connections) writes the records (visits,
    sheets, salons, meetings, cases, the network) and then removes ``PENDING``. ``rest`` is None
    when the village was already there. Stopped halfway, the next start makes the village again.
    The village is the same as ``open_demo``'s for the same day."""
    from shakyo_desk.demo.generator import first_plan_steps, first_write_steps, later_write_steps
    from shakyo_desk.domain import safe_file
    from shakyo_desk.store.paths import StoreLayout, default_demo_dir
    from shakyo_desk.store.store import unlock
    from shakyo_desk.store.services import drops  # noqa: F401  (registers its unlock hook)

    root = Path(root) if root is not None else default_demo_dir()
    _check_demo_dir(root)
    if StoreLayout(root).exists():
        return unlock(root, DEMO_LOGIN, DEMO_PASSPHRASE), None
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    store, _, ctx = _generate(partial, "village", None, DEMO_LOGIN, DEMO_PASSPHRASE, kdf, progress, today,
                              first=first_write_steps(), plan_steps=first_plan_steps())
    try:
        safe_file.write_atomic(partial / PENDING, "デモの村を作っている途中です。\n".encode("utf-8"))
    finally:
        store.close()
    _move_into_place(partial, root)
    return unlock(root, DEMO_LOGIN, DEMO_PASSPHRASE, derived=ctx.derived), DemoRest(root, ctx, later_write_steps())


class DemoRest:
    """The records of a village begun by ``open_demo_early``, written by ``run`` once."""

    def __init__(self, root: Path, ctx, steps):
        self.root, self.ctx, self.steps = root, ctx, steps
        self._planned = False

    def _plan(self) -> None:
        """The rest of the plan (visits, salons, meetings, cases, network): same as made at once."""
        from shakyo_desk.demo.generator import continue_plan, later_plan_steps

        if not self._planned:
            continue_plan(self.ctx.plan, later_plan_steps())
            self._planned = True

    def units(self) -> int:
        self._plan()
        return sum(s.units(self.ctx.plan) for s in self.steps)

    def run(self, progress: Progress | None = None, stop=None) -> None:
        """``stop``: a threading.Event; once set, DemoInterrupted between two transactions (what
        is written stays, ``PENDING`` too: the next start makes the village again)."""
        from shakyo_desk.demo.generator import write_plan
        from shakyo_desk.domain import safe_file
        from shakyo_desk.store.engine import checkpoint
        from shakyo_desk.store.services.drop_status import publish
        from shakyo_desk.store.store import unlock

        self._plan()
        # Its own unlock (connections, key): the window's session may lock or switch meanwhile.
        store = unlock(self.root, DEMO_LOGIN, DEMO_PASSPHRASE, derived=self.ctx.derived)
        try:
            self.ctx.store = store

            def report(done: int, total: int, label: str) -> None:
                if stop is not None and stop.is_set():
                    raise DemoInterrupted()
                if progress:
                    progress(done, total, label)

            write_plan(self.ctx, report, steps=self.steps)
            publish(store)  # the reporters' status files for the sheets just written
            checkpoint(store.engine)  # every record on the disk (synced) before the mark goes
            (self.root / PENDING).unlink()
            safe_file.fsync_dir(self.root)
        finally:
            store.close()
