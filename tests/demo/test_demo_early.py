"""The desktop's first demo start in two parts (issue 20): open_demo_early writes what a usable
window needs and opens the store; its ``rest`` writes the records while the window is in use.
The result is the same village as open_demo's for the same day, it passes ``check``, and a start
stopped or killed halfway is made again from nothing at the next start."""

import threading
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk import demo
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import (
    Attendance, ChangeLog, ConcernSheet, Contact, District, Household, Person, SalonSession, Staff, SupportCase,
    SupportTie,
)
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.domain import clock

DAY = date(2026, 12, 7)
COUNTED = (District, Staff, Household, Person, Contact, ConcernSheet, SalonSession, Attendance, SupportCase,
           SupportTie)


def _counts(store) -> dict[str, int]:
    with store.read() as s:
        counts = {m.__tablename__: s.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in COUNTED}
        counts["changes by entity"] = Counter(s.execute(sa.select(ChangeLog.entity)).scalars())
    return counts


def _names(store) -> list[tuple]:
    """Every household's and person's recorded values but ids: the same village, not only as many."""
    with store.read() as s:
        people = sorted(repr(tuple(r)) for r in s.execute(sa.select(
            Person.name, Person.kana, Person.sex, Person.birth_date, Person.age_band, Person.relation, Person.flags,
            Person.roles, Person.wishes, Person.notes, Person.sort_order)))
        homes = sorted(repr(tuple(r)) for r in s.execute(sa.select(
            Household.address, Household.phone, Household.housing_type, Household.flags, Household.notes,
            Household.watch_level, Household.watch_interval_days, Household.welfare_commissioner,
            Household.tax_note)))
    return people + homes


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The village made the one-step way (open_demo), as of DAY."""
    with clock.pinned(DAY):  # module scope: before the autouse clock
        store = demo.open_demo(tmp_path_factory.mktemp("whole") / "demo", kdf=FAST_KDF, today=DAY)
    try:
        yield _counts(store), _names(store)
    finally:
        store.close()


def test_early_start_then_rest_is_the_same_village(tmp_path, reference, pin_today):
    pin_today(DAY)
    root = tmp_path / "demo"
    calls = []
    store, rest = demo.open_demo_early(root, progress=lambda *a: calls.append(a), kdf=FAST_KDF, today=DAY)
    try:
        assert rest is not None and (root / demo.PENDING).exists()
        assert not (root.with_name("demo.partial")).exists()
        early = _counts(store)
        assert early["household"] == reference[0]["household"] and early["person"] == reference[0]["person"]
        assert early["contact"] == 0  # the records come with the rest
        assert calls and calls[-1][0] == calls[-1][1]  # the first part's progress reaches its end
        seen = []
        rest.run(progress=lambda done, total, label: seen.append((done, total)))
        assert seen[-1][0] == seen[-1][1] == rest.units()
        assert not (root / demo.PENDING).exists()
        assert _counts(store) == reference[0]  # rows and change-log entries of every kind
        assert _names(store) == reference[1]
        report = check_store(store)
        assert report.sound, report
    finally:
        store.close()
    again, none = demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)  # the village is there: just opened
    try:
        assert none is None and _counts(again) == reference[0]
    finally:
        again.close()


def test_a_rest_stopped_halfway_is_made_again(tmp_path, reference, pin_today):
    pin_today(DAY)
    root = tmp_path / "demo"
    store, rest = demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)
    stop = threading.Event()

    def progress(done, total, label):
        if done > total // 3:
            stop.set()  # the app closing while the records are written

    with pytest.raises(demo.DemoInterrupted):
        rest.run(progress=progress, stop=stop)
    assert (root / demo.PENDING).exists()
    half = _counts(store)
    assert 0 < half["contact"] and half["support_case"] < reference[0]["support_case"]
    store.close()
    for opener in (demo.open_demo_early, demo.open_demo):  # either start makes it again, whole
        made = opener(root, kdf=FAST_KDF, today=DAY)
        store, rest = made if isinstance(made, tuple) else (made, None)
        try:
            if rest is not None:
                rest.run()
            assert not (root / demo.PENDING).exists() and _counts(store) == reference[0]
        finally:
            store.close()
        if opener is demo.open_demo_early:  # marked unfinished again: open_demo makes it again too
            (root / demo.PENDING).write_text("")
            assert StoreLayout(root).exists()


def test_a_first_part_killed_leaves_no_village(tmp_path):
    """Killed while the households are written: only the side folder, removed at the next start."""
    from shakyo_desk.demo import village

    root = tmp_path / "demo"

    def killed(ctx, tick):
        raise KeyboardInterrupt

    step = next(s for s in village.WRITE_STEPS if s.name == "households")
    object.__setattr__(step, "run", killed)  # (a frozen dataclass)
    try:
        with pytest.raises(KeyboardInterrupt):
            demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)
    finally:
        object.__setattr__(step, "run", village.write_households)
    assert not root.exists() and not StoreLayout(root.with_name("demo.partial")).exists()


def test_a_removal_cut_halfway_never_leaves_a_store_without_its_mark(tmp_path, monkeypatch, pin_today):
    """The unfinished village is moved aside before it is removed: killed during the removal, the
    next start finds no store (or the aside folder, removed then), never a store taken for whole."""
    import shutil

    pin_today(DAY)
    root = tmp_path / "demo"
    store, _rest = demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)
    store.close()
    real_rmtree = shutil.rmtree

    def killed(path, *args, **kwargs):
        if str(path).endswith(".unfinished") and (path / demo.PENDING).exists():
            (path / demo.PENDING).unlink()  # the mark went first, then the process died
            raise KeyboardInterrupt
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)
    monkeypatch.setattr(shutil, "rmtree", real_rmtree)
    assert not StoreLayout(root).exists()  # nothing there to be taken for a whole village
    store, rest = demo.open_demo_early(root, kdf=FAST_KDF, today=DAY)
    try:
        assert rest is not None and not root.with_name("demo.unfinished").exists()
    finally:
        store.close()
