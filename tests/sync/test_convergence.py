"""Convergence of real installations (DESIGN §8, docs/sync-protocol.md "Guarantees").

A Hypothesis state machine drives three real SQLCipher stores of one council — the office
and two enrolled laptops — through the services: random edits on random devices (the same
field on two devices between exchanges, notes, long text, new members, a member removed on
one device while another edits them), bundles exported into a pool and delivered to random
other devices in random order, duplicated or never, and conflicts resolved by choosing a
random value. At the end every device exports to every other and imports everything until
nothing new arrives; then every store must hold the same rows, the same open conflicts,
every note ever written, and pass `check_store`.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from datetime import date
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from shakyo_desk.store import changes_codec
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import conflicts
from shakyo_desk.store.exchange.apply import TEXT_FIELDS, as_change, conflict_id
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import ALREADY, APPLIED, import_paths
from shakyo_desk.store.exchange.knowledge import own as own_knowledge
from shakyo_desk.store.exchange.scope import SHARED, scope_records
from shakyo_desk.store.models import (
    SYNCED_MODELS, ChangeLog, Household, HouseholdSearch, Person, SyncConflict, SyncPending,
)
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.store import unlock
from shakyo_desk.sync.merge import merge
from tests.sync.council import PASSPHRASE, enrol, make_office

DEVICES = ("office", "laptop1", "laptop2")
ROSTER_NAME = {"office": "事務局", "laptop1": "laptop1", "laptop2": "laptop2"}  # names in the roster
TODAY = date(2026, 11, 23)
# Local bookkeeping: when this installation last wrote the row (not part of what syncs).
LOCAL_COLUMNS = {"updated_at"}
SCALAR_VALUES = {
    "phone": ["0000-11-1111", "0000-22-2222", "0000-33-3333", ""],
    "address": ["架空村上町1", "架空村上町2-3", "架空村下町9"],
    "watch_level": ["なし", "低", "中", "高"],
    "welfare_commissioner": ["民生 一郎", "民生 二郎"],
    "flags": [[], ["一人暮らし高齢者"], ["一人暮らし高齢者", "高齢者のみ"]],
}
PERSON_VALUES = {
    "kana": ["カクウ", "カクウ タロウ", "ミホン"],
    "relation": ["本人", "配偶者", "子"],
    "notes": ["耳が遠い", "朝は不在が多い", ""],
}
NOTES_TEXT = ["日中独居。", "娘さんが週末に来る。\n買い物は生協。", "（空欄に戻す）", ""]

# ---- one council, built once, copied for every example --------------------------------


@cache
def _template(scoped: bool) -> tuple[Path, tuple[str, ...], dict[str, str]]:
    """Office + two laptops that already know each other (everyone holds the roster that
    lists all three). With ``scoped``, laptop2 is limited to 上町. Two households: one in
    上町, one in 下町. Returns (folder, household ids, district ids by name)."""
    root = Path(tempfile.mkdtemp(prefix="shakyo-convergence-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    office, _ = make_office(root)
    towns = {"上町": districts.add_district(office, "上町", "かみまち"),
             "下町": districts.add_district(office, "下町", "しもまち")}
    household_ids = (
        households.add_household(office, towns["上町"], "架空 花子", "カクウ ハナコ", address="架空村上町1"),
        households.add_household(office, towns["下町"], "見本 次郎", "ミホン ジロウ", phone="0000-99-9999"),
    )
    for household_id, names in zip(household_ids, (["架空 一郎"], ["見本 三郎", "見本 四子"]), strict=True):
        for name in names:
            households.add_person(office, household_id, name)
    laptops = [enrol(office, root, "laptop1"), enrol(office, root, "laptop2", districts=["上町"] if scoped else None)]
    usb = root / "usb"
    usb.mkdir()
    report = import_paths(laptops[0], [export_bundle(office, usb).path])  # laptop1 learns of laptop2
    assert [r.status for r in report.results] == [APPLIED]
    for store in (office, *laptops):
        store.close()
    shutil.rmtree(usb)
    return root, household_ids, towns


def _store_folders(root: Path) -> dict[str, Path]:
    return {"office": root / "office", **{name: root / f"store-{name}" for name in DEVICES[1:]}}


# ---- reading a store for comparison (tests only, through store.read()) -------------------


def synced_rows(store) -> dict[str, list[tuple]]:
    """Every synced table (and the search index) as rows, id first, in id order."""
    result = {}
    with store.read() as s:
        for entity, model in SYNCED_MODELS.items():
            table = model.__table__
            columns = [table.c.id] + [c for c in table.columns if c.name not in LOCAL_COLUMNS | {"id"}]  # id first
            result[entity] = [tuple(r) for r in s.execute(sa.select(*columns).order_by(table.c.id))]
        table = HouseholdSearch.__table__  # derived, but what a person searching sees
        result["household_search"] = [tuple(r) for r in s.execute(sa.select(table).order_by(table.c.household_id))]
    return result


def open_conflict_ids(store) -> set[str]:
    with store.read() as s:
        return set(s.execute(sa.select(SyncConflict.id)).scalars())


def conflicts_by_record(store) -> dict[str, tuple[str, str]]:
    with store.read() as s:
        return {r.id: (r.entity, r.entity_id) for r in s.execute(sa.select(SyncConflict.__table__))}


def replayed_conflict_ids(store) -> set[str]:
    """The conflict index the merge of the whole change log implies (catches a stale index)."""
    history: dict[tuple[str, str], list] = {}
    with store.read() as s:
        for row in changes_codec.rows(s.connection()):
            history.setdefault((row.entity, row.entity_id), []).append(as_change(row))
    found = set()
    for (entity, entity_id), changes in history.items():
        for conflict in merge(changes, TEXT_FIELDS[entity]).conflicts:
            found.add(conflict_id(entity, entity_id, conflict.field))
    return found


def households_on(store) -> list[str]:
    with store.read() as s:
        return list(s.execute(sa.select(Household.id).where(Household.deleted_at.is_(None))).scalars())


def live_people(store) -> list[str]:
    with store.read() as s:
        return list(s.execute(sa.select(Person.id).where(Person.deleted_at.is_(None)).order_by(Person.id)).scalars())


def pending_ranges(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(SyncPending)).scalar_one()


def knowledge_of(store) -> dict[str, int]:
    with store.read() as s:
        return own_knowledge(s.connection())


# ---- the machine ------------------------------------------------------------------------


class Council(RuleBasedStateMachine):
    """Office, laptop1 and laptop2, all holding the whole council."""

    bundles = Bundle("bundles")
    SCOPED = False  # laptop2 limited to 上町 (the subclass below)

    def __init__(self):
        super().__init__()
        template, self.household_ids, self.towns = _template(self.SCOPED)
        self.scoped = {"laptop2": self.towns["上町"]} if self.SCOPED else {}
        self.root = Path(tempfile.mkdtemp(prefix="shakyo-example-"))
        for name, folder in _store_folders(template).items():
            shutil.copytree(folder, self.root / folder.name)
        self.stores = {name: unlock(folder, "admin", PASSPHRASE)
                       for name, folder in _store_folders(self.root).items()}
        self.pool = self.root / "pool"
        self.pool.mkdir()
        self.notes: dict[str, str] = {}  # every note ever written, on any device → its household
        self.counter = itertools.count(1)
        self.refused: list = []

    # -- edits (grouped so that about half the steps carry bundles) ---------------------

    def _household(self, data, *devices) -> str:
        """A household every one of these devices holds (the two made at the office always)."""
        held = set.intersection(*(set(households_on(self.stores[d])) for d in devices))
        return data.draw(st.sampled_from(sorted(held)), label="household")

    @rule(kind=st.sampled_from(["field", "same field on two devices", "long text", "move"]),
          devices=st.permutations(DEVICES).map(lambda p: p[:2]), data=st.data())
    def edit_household(self, kind, devices, data):
        """A household field on one device; the same field on two devices between exchanges;
        the long free text (always side by side when concurrent); a move to the other district
        (done at a device that holds the whole council)."""
        if kind == "move":
            device = devices[1] if devices[0] in self.scoped else devices[0]
            household = self._household(data, device)
            district = data.draw(st.sampled_from(sorted(self.towns.values())), label="district")
            households.update_household(self.stores[device], household, district_id=district)
            return
        if kind == "field":
            devices = devices[:1]
        household = self._household(data, *devices)
        for device in devices:
            if kind == "long text":
                fields = {"notes": data.draw(st.sampled_from(NOTES_TEXT), label=f"notes on {device}")}
            else:
                name = data.draw(st.sampled_from(sorted(SCALAR_VALUES)), label="field")
                fields = {name: data.draw(st.sampled_from(SCALAR_VALUES[name]), label=f"{name} on {device}")}
            households.update_household(self.stores[device], household, **fields)

    @rule(kind=st.sampled_from(["note", "new person", "new household"]), device=st.sampled_from(DEVICES),
          data=st.data())
    def record(self, kind, device, data):
        store, number = self.stores[device], next(self.counter)
        if kind == "note":
            text = f"訪問記録 {number}：{device} で記入。"
            household = self._household(data, device)
            contacts.add_contact(store, household_id=household, contact_date=TODAY, seen_heard=text, today=TODAY)
            self.notes[text] = household
        elif kind == "new person":
            households.add_person(store, self._household(data, device), f"新入 {number}")
        else:
            district = self.scoped.get(device) or data.draw(st.sampled_from(sorted(self.towns.values())),
                                                            label="district")
            households.add_household(store, district, f"新規 {number}", "シンキ", phone=f"0000-00-{number:04d}")

    @rule(kind=st.sampled_from(["remove here, edit there", "edit", "remove"]),
          devices=st.permutations(DEVICES).map(lambda p: p[:2]), data=st.data(),
          field_value=st.sampled_from([(f, v) for f, vs in PERSON_VALUES.items() for v in vs]))
    def edit_person(self, kind, devices, data, field_value):
        """Member edits, removals, and a removal on one device while another edits the member."""
        remover, editor = devices
        candidates = set(live_people(self.stores[remover])) & set(live_people(self.stores[editor]))
        if not candidates:
            return
        person = data.draw(st.sampled_from(sorted(candidates)), label="person")
        field, value = field_value
        if kind != "remove":
            households.update_person(self.stores[editor], person, **{field: value})
        if kind != "edit":
            try:
                households.remove_person(self.stores[remover], person)
            except InvalidInput:
                pass  # the last member of a household stays

    @rule(data=st.data())
    def resolve(self, data):
        """A person on a device that shows conflicts chooses one of the values of one of them."""
        asking = [d for d in DEVICES if open_conflict_ids(self.stores[d])]
        if not asking:
            return
        store = self.stores[data.draw(st.sampled_from(asking), label="device")]
        open_now = conflicts.list_conflicts(store)
        conflict = data.draw(st.sampled_from(open_now), label="conflict")
        choice = data.draw(st.sampled_from(conflict.choices), label="choice")
        conflicts.resolve_conflict(store, conflict.id, choice.number)
        assert conflict.id not in open_conflict_ids(store)
        event("resolved a conflict")

    # -- exchange ---------------------------------------------------------------------

    def readers(self, sender, for_device) -> list[str]:
        """Who can open a bundle: a district-limited laptop only what was made for it."""
        if for_device in self.scoped:
            return [for_device]
        return [d for d in DEVICES if d != sender and d not in self.scoped]

    def targets(self, device) -> list[str | None]:
        """Whom a device makes bundles for: the whole council or one device. Only the office
        makes them for a district-limited laptop (see test_causal_order.py: with several
        exporters a household re-entering its districts can miss changes)."""
        return [None] + [d for d in DEVICES if d != device and (device == "office" or d not in self.scoped)]

    def _export(self, device, data, reader=None):
        options = [t for t in self.targets(device) if reader is None or reader in self.readers(device, t)]
        for_device = data.draw(st.sampled_from(options), label="for_device")
        if for_device is None and not self.readers(device, None):
            for_device = next(d for d in DEVICES if d != device)
        exported = export_bundle(self.stores[device], self.pool, for_device=for_device and ROSTER_NAME[for_device])
        return device, for_device, exported.path

    @rule(target=bundles, device=st.sampled_from(DEVICES), data=st.data())
    def export(self, device, data):
        """A bundle into the pool (for the whole council or for one device)."""
        return self._export(device, data)

    @rule(bundle=bundles, data=st.data())
    def deliver(self, bundle, data):
        """Any bundle of the pool to any other device: late, twice, or (by never being drawn) never."""
        sender, for_device, path = bundle
        target = data.draw(st.sampled_from(self.readers(sender, for_device)), label="to")
        self._import(target, path)

    @rule(target=bundles, devices=st.permutations(DEVICES).map(lambda p: p[:2]), data=st.data())
    def carry(self, devices, data):
        """A stick taken straight from one device to another — not always the one it was made for."""
        sender, receiver = devices
        if receiver in self.scoped:
            sender = "office"
        bundle = self._export(sender, data, reader=receiver)
        self._import(receiver, bundle[2])
        return bundle

    def _import(self, device, path):
        [result] = import_paths(self.stores[device], [path]).results
        assert result.status in (APPLIED, ALREADY), (result.reason, result.message)
        event(f"import {result.status}")
        if result.gaps:
            event("import with a gap")

    # -- the end ----------------------------------------------------------------------

    def full_exchange(self) -> list[dict[str, int]]:
        """Every device exports to every other, everyone imports everything it can open,
        until nothing new arrives. Returns the changes applied per device in each round."""
        rounds: list[dict[str, int]] = []
        for _ in range(4):
            folder = self.root / f"final-{next(self.counter)}"
            folder.mkdir()
            files = [(name, other, export_bundle(self.stores[name], folder, for_device=ROSTER_NAME[other]).path)
                     for name in DEVICES for other in self.targets(name) if other is not None]
            rounds.append({})
            for name, store in self.stores.items():
                incoming = [path for sender, target, path in files if name in self.readers(sender, target)]
                report = import_paths(store, incoming)
                self.refused += report.refused
                rounds[-1][name] = report.applied
            if not any(rounds[-1].values()):
                return rounds
        raise AssertionError(f"devices still exchanging new changes after 4 full rounds: {rounds}")

    def teardown(self):
        try:
            self.check_convergence()
        finally:
            self.close()

    def close(self):
        for store in self.stores.values():
            if store.is_open:
                store.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def check_convergence(self):
        rounds = self.full_exchange()
        # Exports carry everything the peer may lack: one round, one to confirm. A
        # district-limited laptop may need one more: which households are in its districts
        # is decided by each exporter's view, and moves reach the office in the first round.
        assert len(rounds) <= (3 if self.scoped else 2), rounds
        assert self.refused == [], [(r.file, r.reason, r.message) for r in self.refused]
        office = self.stores["office"]
        expected_rows = synced_rows(office)
        expected_conflicts = conflicts_by_record(office)
        for kind in sorted({c.kind for c in conflicts.list_conflicts(office)}):
            event(f"open conflict of kind {kind} at the end")
        expected_knowledge = knowledge_of(office)
        for name, store in self.stores.items():
            rows, found = synced_rows(store), conflicts_by_record(store)
            assert set(found) == replayed_conflict_ids(store), f"{name}: stale conflict index"
            assert pending_ranges(store) == 0, name
            notes = {c.seen_heard for c in contacts.list_contacts(store, limit=None)}
            report = check_store(store)
            assert report.sound, (name, report.problems)
            if name in self.scoped:
                self.check_district_laptop(name, rows, found, notes)
                continue
            for entity, table_rows in expected_rows.items():
                assert rows[entity] == table_rows, f"{name}: table {entity} differs from the office"
            assert set(found) == set(expected_conflicts), name
            assert knowledge_of(store) == expected_knowledge, name
            assert set(self.notes) <= notes, f"{name} lost notes: {set(self.notes) - notes}"

    def check_district_laptop(self, name, rows, found, notes):
        """Everything of its districts (as the office sees them now) is as at the office. A
        household moved out stays behind on the laptop as it was (docs: known limits)."""
        office = self.stores["office"]
        with office.read() as s:
            covered = scope_records(s.connection(), [self.scoped[name]])
        covered["household_search"] = covered["household"]
        mine = {entity: set(ids) for entity, ids in covered.items()}

        def in_scope(entity, record_id):
            return entity in SHARED or record_id in mine.get(entity, ())

        for entity, table_rows in synced_rows(office).items():
            expected = [r for r in table_rows if in_scope(entity, r[0])]
            held = [r for r in rows[entity] if in_scope(entity, r[0])]
            assert held == expected, f"{name}: table {entity} differs from the office in its districts"
        ours = {i: rec for i, rec in conflicts_by_record(office).items() if in_scope(*rec)}
        assert {i: rec for i, rec in found.items() if in_scope(*rec)} == ours, name
        written = {text for text, household in self.notes.items() if household in mine["household"]}
        assert written <= notes, f"{name} lost notes: {written - notes}"
        event("district-limited laptop checked")


CONVERGENCE = settings(max_examples=25, stateful_step_count=25, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                              HealthCheck.filter_too_much])


def test_devices_converge_after_full_exchange():
    run_state_machine_as_test(Council, settings=CONVERGENCE)


class DistrictCouncil(Council):
    """The same, with laptop2 limited to 上町 and households moving between districts."""

    SCOPED = True


def test_a_district_limited_laptop_converges_on_its_districts():
    run_state_machine_as_test(DistrictCouncil, settings=settings(CONVERGENCE, max_examples=10))


def test_the_comparison_can_fail():
    """The final check is not vacuous: a store that missed the exchange differs."""
    machine = Council()
    try:
        households.update_household(machine.stores["laptop1"], machine.household_ids[0], phone="0000-77-7777")
        assert synced_rows(machine.stores["laptop1"])["household"] != synced_rows(machine.stores["office"])["household"]
        machine.check_convergence()  # after the full exchange they agree again
        assert households.get_household(machine.stores["laptop2"], machine.household_ids[0],
                                        log=False).phone == "0000-77-7777"
    finally:
        machine.close()
