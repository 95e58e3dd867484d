"""Wall clocks must not order changes (DESIGN §5): one laptop a year fast, another a year
slow. An edit made after seeing another device's change wins on every device whatever the
clocks say; concurrent edits are a conflict everywhere, never a silent win for the fast clock.

The clock is read through ``time.time_ns`` by the writer (``store/writer.py``) and by the
import's hybrid-clock update (``store/exchange/apply.py`` ``_receive_clock``); the test moves
it per device."""

import contextlib
import time

import pytest

from shakyo_desk.domain import hlc
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import conflicts
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.models import ChangeLog, Household
from shakyo_desk.store import changes_codec
from shakyo_desk.store.services import districts, households
from tests.sync.council import carry, enrol, make_office

YEAR_NS = 365 * 24 * 3600 * 1_000_000_000


class Clocks:
    """time.time_ns for the device that is acting: the real clock plus its offset."""

    def __init__(self, monkeypatch):
        self.offset = 0
        real = time.time_ns
        monkeypatch.setattr(time, "time_ns", lambda: real() + self.offset)

    @contextlib.contextmanager
    def on(self, offset_ns: int):
        before, self.offset = self.offset, offset_ns
        try:
            yield
        finally:
            self.offset = before


@pytest.fixture
def council(tmp_path, monkeypatch):
    clocks = Clocks(monkeypatch)
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子", "カクウ ハナコ", phone="0000-00-0000")
    fast = enrol(office, tmp_path, "fast")
    slow = enrol(office, tmp_path, "slow")
    carry(office, fast, tmp_path / "roster")  # fast learns that slow exists
    stores = {"office": office, "fast": fast, "slow": slow}
    offsets = {"office": 0, "fast": YEAR_NS, "slow": -YEAR_NS}
    yield stores, offsets, clocks, household, tmp_path
    for store in stores.values():
        store.close()


def phone_everywhere(stores, household) -> set[str]:
    return {households.get_household(s, household, log=False).phone for s in stores.values()}


class Council:
    """Acting on a device runs on that device's clock."""

    def __init__(self, stores, offsets, clocks, root):
        self.stores, self.offsets, self.clocks, self.root = stores, offsets, clocks, root
        self.trips = 0

    def act(self, device, fn, *args, **kwargs):
        with self.clocks.on(self.offsets[device]):
            return fn(self.stores[device], *args, **kwargs)

    def carry(self, source, target):
        """Export on the source's clock, import on the target's."""
        self.trips += 1
        folder = self.root / f"trip-{self.trips}"
        folder.mkdir()
        exported = self.act(source, export_bundle, folder)
        report = self.act(target, import_paths, [exported.path])
        assert report.refused == []
        return report

    def everyone_exchanges(self):
        for source in self.stores:
            for target in self.stores:
                if source != target:
                    self.carry(source, target)


@pytest.mark.parametrize("first, second", [("fast", "slow"), ("slow", "fast"), ("office", "slow"),
                                           ("fast", "office")])
def test_an_edit_made_after_seeing_another_wins_whatever_the_clocks(council, first, second):
    stores, offsets, clocks, household, root = council
    c = Council(stores, offsets, clocks, root)
    c.act(first, households.update_household, household, phone="0000-11-1111")
    c.carry(first, second)
    c.act(second, households.update_household, household, phone="0000-22-2222")  # after seeing the first
    c.everyone_exchanges()
    assert phone_everywhere(stores, household) == {"0000-22-2222"}
    assert all(conflicts.list_conflicts(s) == [] for s in stores.values())
    for store in stores.values():
        assert check_store(store).sound, check_store(store).problems


def stamp_of(store, household, field, value) -> hlc.Stamp:
    """The stamp of the change that set ``field`` to ``value``."""
    with store.read() as s:
        for row in changes_codec.rows(s.connection(), ChangeLog.entity_id == household):
            if row.fields.get(field) == value:
                return hlc.Stamp.decode(row.hlc)
    raise AssertionError(f"no change set {field} to {value}")


def test_concurrent_edits_on_skewed_clocks_are_a_conflict_not_a_win_for_the_fast_clock(council):
    stores, offsets, clocks, household, root = council
    c = Council(stores, offsets, clocks, root)
    c.act("fast", households.update_household, household, phone="0000-11-1111")
    c.act("slow", households.update_household, household, phone="0000-22-2222")
    c.everyone_exchanges()
    ids = {tuple(x.id for x in conflicts.list_conflicts(s)) for s in stores.values()}
    assert len(ids) == 1 and len(next(iter(ids))) == 1  # one conflict, the same everywhere
    [conflict] = conflicts.list_conflicts(stores["office"])
    assert sorted(ch.value for ch in conflict.choices) == ["0000-11-1111", "0000-22-2222"]
    assert len(phone_everywhere(stores, household)) == 1  # the same provisional value everywhere

    # The slow laptop chooses; its choice saw both branches, so it wins everywhere.
    [on_slow] = conflicts.list_conflicts(stores["slow"])
    chosen = next(ch for ch in on_slow.choices if ch.value == "0000-22-2222")
    c.act("slow", conflicts.resolve_conflict, on_slow.id, chosen.number)
    c.everyone_exchanges()
    assert phone_everywhere(stores, household) == {"0000-22-2222"}
    assert all(conflicts.list_conflicts(s) == [] for s in stores.values())


def test_a_slow_clock_after_seeing_a_fast_one_still_stamps_later(council):
    stores, offsets, clocks, household, root = council
    c = Council(stores, offsets, clocks, root)
    c.act("fast", households.update_household, household, address="架空村上町1")
    c.carry("fast", "slow")
    c.act("slow", households.update_household, household, address="架空村上町2")
    fast_stamp = stamp_of(stores["slow"], household, "address", "架空村上町1")
    slow_stamp = stamp_of(stores["slow"], household, "address", "架空村上町2")
    # The slow laptop's own clock says a year ago; its stamp follows the fast one it has seen.
    assert slow_stamp > fast_stamp
    assert slow_stamp.wall_ms >= fast_stamp.wall_ms > time.time_ns() // 1_000_000 + YEAR_NS // 2_000_000
    with stores["slow"].read() as s:
        assert s.get(Household, household).address == "架空村上町2"
