"""The shorter way for records new to a store (`apply._Bulk`: a lone insert becomes its row
without a merge) must store exactly what the general path stores: the same rows, change log,
conflicts and search index, byte for byte as SQLite holds them — dates, datetimes (odd ISO
forms too), booleans and JSON columns included — around conflicts, a purge, a record whose
update arrives before its insert, and a change delivered twice."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from shakyo_desk.store import changes_codec

from shakyo_desk.domain import clock
from shakyo_desk.domain.ids import new_id
from shakyo_desk.store.exchange import apply
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import SYNCED_MODELS, ChangeLog
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.store import create_store
from tests.sync.council import PASSPHRASE, make_office

TODAY = date(2026, 11, 23)
TABLES = (*SYNCED_MODELS, "change_log", "sync_conflict", "household_search")


def stamp(ms: int, device: str) -> str:
    return f"{ms:015d}.000000.{device}"


def remote(device: str, seq: int, entity: str, entity_id: str, fields: dict, base: dict, op: str = "update",
           recorded_at: str = "2026-11-23T10:00:00") -> dict:
    return {"origin": device, "epoch": 1, "seq": seq, "entity": entity, "entity_id": entity_id, "op": op,
            "fields": fields, "base": base, "hlc": stamp(1_800_000_000_000 + seq, device), "staff_id": None,
            "recorded_at": recorded_at}


def council_changes(tmp_path: Path) -> list[dict]:
    """Everything an office wrote through the services, plus changes of two other devices."""
    office, _ = make_office(tmp_path / "source")
    town = districts.add_district(office, "上町", "かみまち")
    first = households.add_household(office, town, "架空 花子", "カクウ ハナコ", address="架空村上町1",
                                     person={"birth_date": "1941-03-09", "flags": ["要介護"]})
    second = households.add_household(office, town, "見本 次郎", phone="0000-99-9999")
    households.add_person(office, second, "見本 三郎", birth_date="1950-12-31", relation="子")
    visit = contacts.add_contact(office, household_id=first, contact_date=date(2026, 11, 20), concerns=["介護"],
                                 seen_heard="元気そう。", today=TODAY)
    contacts.set_tax_derived(office, visit, True)  # a later change of a new record
    with office.read() as s:
        log = changes_codec.rows(s.connection(), order_by=(ChangeLog.origin_device, ChangeLog.epoch, ChangeLog.seq))
        staff_id = office.actor.staff_id
    office.close()
    wire = [apply.to_wire(row) for row in log]
    origin = wire[0]["origin"]
    seq_of = {c["entity_id"]: c["seq"] for c in wire if c["op"] == "insert"}
    late = new_id()
    extra = [
        # The same phone changed on two laptops that both saw the insert: a conflict.
        remote("dev-a", 1, "household", first, {"phone": "0000-11-1111"}, {f"{origin}:1": seq_of[first]}),
        remote("dev-b", 1, "household", first, {"phone": "0000-22-2222"}, {f"{origin}:1": seq_of[first]}),
        # An update that arrives before the insert it builds on.
        remote("dev-b", 2, "household", late, {"notes": "後から"}, {"dev-a:1": 2}),
        remote("dev-a", 2, "household", late, {
            "id": late, "code": "H-LATE", "district_id": town, "address": "架空村下町9", "flags": ["高齢者のみ"],
            "created_at": "2026-11-23T10:00:00+09:00", "created_by": staff_id, "deleted_at": None}, {},
            op="insert"),
        # A contact in unusual but valid ISO forms: basic date, whole seconds, a number for a boolean.
        remote("dev-a", 3, "contact", new_id(), {
            "contact_date": "20261120", "method": "電話", "household_id": first, "staff_id": staff_id,
            "companions": None, "concerns": [], "tax_derived": 1, "created_at": "2026-11-23T08:00:00",
            "next_contact_date": "2026-12-01"}, {}, op="insert", recorded_at="2026-11-23T08:00:00"),
        # Legal erasure of a household (its members stay, linked to an id-only tombstone).
        remote("dev-a", 4, "household", second, {}, {f"{origin}:1": seq_of[second]}, op="purge"),
    ]
    return wire + extra + [copy.deepcopy(wire[-1])]  # the office's last change delivered twice


def new_store(root: Path):
    store, _ = create_store(root, "受け取る社協", "clerk", PASSPHRASE, kdf=FAST_KDF)
    return store


STORAGE = ("key_order", "packed", "values_hash")  # (change log v2: how, not what; the text is compared)


def rows(store) -> dict[str, set[tuple]]:
    """Every row as SQLite holds it (TEXT as stored, no type conversion); a change's values as
    the text the change log gives back (the bulk path stores new records' inserts derived)."""
    with store.read() as s:
        conn = s.connection()
        found = {t: {tuple(sorted(r._mapping.items())) for r in conn.exec_driver_sql(f"SELECT * FROM {t}")}
                 for t in TABLES if t != "change_log"}
        found["change_log"] = {
            tuple(sorted([*((k, v) for k, v in r._mapping.items() if k not in STORAGE), ("fields", text)]))
            for r, text in changes_codec.with_texts(conn, conn.exec_driver_sql("SELECT * FROM change_log"))}
        return found


def forms(store) -> dict[str, str]:
    """entity_id → how its insert is stored: derived or packed (received as it came)."""
    with store.read() as s:
        return {r.entity_id: "derived" if r.packed is None else "packed" for r in s.connection().exec_driver_sql(
            "SELECT entity_id, packed FROM change_log WHERE op = 'insert'")}


def applied(store, changes: list[dict], monkeypatch, *, general: bool) -> tuple[dict, dict]:
    before = rows(store)
    with monkeypatch.context() as m:
        # (tests/conftest.py pins clock.utcnow: both paths stamp the same time)
        if general:
            m.setattr(apply, "_entities_without_records", lambda conn: frozenset())
        with store.write() as w:
            result = apply.apply_changes(w.conn, iter(copy.deepcopy(changes)))
    after = rows(store)
    return {t: after[t] - before[t] for t in TABLES}, {t: before[t] - after[t] for t in TABLES}, result


@pytest.mark.parametrize("slice_size", [1, apply.SLICE])
def test_lone_inserts_of_new_records_store_what_the_general_path_stores(tmp_path, monkeypatch, slice_size):
    """Slices of one change make both ways store and read back after every change. (With whole
    slices the purge is left out: a tombstone keeps the created_at of the row it replaces, or
    gets the time of the import when the insert and the purge arrive in the same slice.)"""
    changes = council_changes(tmp_path)
    purge = slice_size == 1
    if not purge:
        changes = [c for c in changes if c["op"] != "purge"]
    monkeypatch.setattr(apply, "SLICE", slice_size)
    bulk_store, general_store = new_store(tmp_path / "bulk"), new_store(tmp_path / "general")
    taken = []
    original = apply._row_from_insert
    monkeypatch.setattr(apply, "_row_from_insert", lambda plan, c: taken.append(c["entity_id"]) or original(plan, c))

    added, removed, result = applied(bulk_store, changes, monkeypatch, general=False)
    assert len(taken) >= 6  # households, persons, contacts, the district … took the short way
    taken.clear()
    general_added, general_removed, general_result = applied(general_store, changes, monkeypatch, general=True)
    assert taken == []

    assert added == general_added
    assert removed == general_removed == {t: set() for t in TABLES}
    assert (result.stored, sorted(result.conflicts_opened), result.households, result.max_hlc) == (
        general_result.stored, sorted(general_result.conflicts_opened), general_result.households,
        general_result.max_hlc)
    assert result.stored == len(changes) - 1  # the repeat is skipped

    # What the comparison covered:
    new = {t: [dict(r) for r in added[t]] for t in TABLES}
    assert {c["field"] for c in new["sync_conflict"]} == {"phone"}
    [late] = [h for h in new["household"] if h["notes"] == "後から"]
    assert late["created_at"] == "2026-11-23 10:00:00.000000"  # +09:00 dropped, as SQLAlchemy stores it
    assert late["flags"] == '["高齢者のみ"]' and late["watch_level"] == "なし"  # given, and a default
    [odd] = [c for c in new["contact"] if c["method"] == "電話"]
    assert (odd["contact_date"], odd["next_contact_date"], odd["companions"], odd["tax_derived"]) == (
        "2026-11-20", "2026-12-01", "null", 1)
    if purge:
        [tombstone] = [h for h in new["household"] if h["address"] == "" and h["phone"] == ""]
        assert tombstone["deleted_at"] == clock.utcnow().isoformat(sep=" ", timespec="microseconds")  # (pinned)
    assert len(new["household_search"]) == (2 if purge else 3)  # a purged household has no index row
    assert any(p["birth_date"] == "1941-03-09" for p in new["person"])


def test_a_hash_collision_only_takes_the_longer_way(tmp_path, monkeypatch):
    """With a filter of 8 bits, records soon look met already when they are not: they go the
    general way, and the result is the same."""
    changes = council_changes(tmp_path)
    store, reference = new_store(tmp_path / "tiny"), new_store(tmp_path / "reference")
    monkeypatch.setattr(apply, "SLICE", 1)
    monkeypatch.setattr(apply, "_SEEN_BITS", 8)
    added, _, _ = applied(store, changes, monkeypatch, general=False)
    expected, _, _ = applied(reference, changes, monkeypatch, general=True)
    assert added == expected


def test_received_inserts_are_stored_derived_when_the_row_gives_their_text_back(tmp_path, monkeypatch):
    """Change log v2 on a laptop (issue 20): a new record's lone insert is stored derived when its
    row re-encodes to the received text; an odd spelling (a basic-format date, a number for a
    boolean) is stored as it came. Either way the text, the chains and check are what they were;
    a row edited behind the log fails check."""
    from shakyo_desk.store.check import check_store

    changes = [c for c in council_changes(tmp_path) if c["op"] != "purge"]
    store = new_store(tmp_path / "laptop")
    applied(store, changes, monkeypatch, general=False)
    how = forms(store)
    odd = next(c["entity_id"] for c in changes if c["fields"].get("method") == "電話")
    assert how[odd] == "packed"
    derived = [i for i, form in how.items() if form == "derived"]
    assert len(derived) >= 5
    with store.read() as s:
        conn = s.connection()
        texts = changes_codec.fields_texts(conn, [(c["origin"], c["epoch"], c["seq"]) for c in changes])
        origins = sorted({c["origin"] for c in changes})
        unchained = conn.exec_driver_sql(
            "SELECT count(*) FROM change_log WHERE packed IS NULL AND values_hash IS NULL "
            f"AND origin_device IN ({', '.join('?' * len(origins))})", tuple(origins)).scalar()
    from shakyo_desk.sync.chain import storage_json
    assert all(texts[(c["origin"], c["epoch"], c["seq"])] == storage_json(c["fields"]) for c in changes)
    assert unchained == 0  # (these test changes carry no chain: each derived one keeps its values hash)
    # (this test data has its own known mismatch: the late household's +09:00, dropped by SQLite's
    # DateTime as on either path; every derived insert proves out)
    assert not [p for p in check_store(store).problems if "作成時の記録" in p]
    household = next(c["entity_id"] for c in changes if c["entity"] == "household" and how.get(c["entity_id"]) == "derived")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET notes = '書き換え' WHERE id = ?", (household,))
    assert any(household in p and "作成時の記録" in p for p in check_store(store).problems)


def test_the_general_path_stores_a_new_records_lone_insert_derived_too(tmp_path, monkeypatch):
    """Deltas reach a laptop through the general path (its tables hold records already): a new
    record's insert alone in its slice is stored derived, one with later changes in the same
    slice, or a record held before, as received; the texts and the rows are the same either way."""
    changes = [c for c in council_changes(tmp_path) if c["op"] != "purge"]
    store = new_store(tmp_path / "general")
    applied(store, changes, monkeypatch, general=True)
    how = forms(store)
    odd = next(c["entity_id"] for c in changes if c["fields"].get("method") == "電話")
    changed_later = {c["entity_id"] for c in changes if c["op"] != "insert"}
    inserted = {c["entity_id"] for c in changes if c["op"] == "insert"}
    assert how[odd] == "packed"
    assert all(how[i] == "packed" for i in changed_later & inserted)
    assert sum(how[i] == "derived" for i in inserted - changed_later) >= 5
    with store.read() as s:
        texts = changes_codec.fields_texts(s.connection(), [(c["origin"], c["epoch"], c["seq"]) for c in changes])
    from shakyo_desk.sync.chain import storage_json
    assert all(texts[(c["origin"], c["epoch"], c["seq"])] == storage_json(c["fields"]) for c in changes)


ODD = [  # (entity, column, wire value, stored derived?)
    ("household", "phone", "0000-00-0001", True), ("household", "phone", 123, False),
    ("household", "phone", 1.5, False), ("household", "phone", True, False), ("household", "phone", "", True),
    ("household", "notes", "見守り\n二行目 \u3000", True),
    ("household", "watch_interval_days", 5, True), ("household", "watch_interval_days", "5", False),
    ("household", "watch_interval_days", 5.0, False), ("household", "watch_interval_days", True, False),
    ("household", "watch_interval_days", None, True), ("household", "watch_interval_days", 2 ** 40, True),
    ("household", "flags", [], True), ("household", "flags", ["要介護", 1, 1.0, -0.0, None], True),
    ("household", "flags", {"a": [1]}, True), ("household", "flags", "text", False), ("household", "flags", 1, False),
    ("household", "created_at", "2026-11-23T10:00:00", True), ("household", "created_at", "2026-11-23T10:00:00.500000", True),
    ("household", "created_at", "2026-11-23T10:00:00.000000", False), ("household", "created_at", "2026-11-23T10:00:00.5", False),
    ("household", "created_at", "2026-11-23 10:00:00", False), ("household", "created_at", "2026-11-23T10:00:00+09:00", False),
    ("household", "created_at", "2026-11-23T10:00", False), ("household", "created_at", "2026-11-23", False),
    ("household", "updated_at", None, True), ("household", "hlc", "not the stamp", False), ("household", "id", "another", False),
    ("household", "no_such_column", "x", False),
    ("contact", "contact_date", "2026-11-20", True), ("contact", "contact_date", "20261120", False),
    ("contact", "contact_date", "2026-W47-5", False), ("contact", "tax_derived", True, True),
    ("contact", "tax_derived", False, True), ("contact", "tax_derived", 1, False), ("contact", "tax_derived", 0, False),
]


def test_odd_wire_values_are_derived_only_when_the_row_gives_them_back(tmp_path):
    """Every value of the table either comes back from the derived row byte for byte, or was
    stored as received: the decision from wire types (changes_codec.Receiving) checked against
    what SQLite and SQLAlchemy really give back."""
    from shakyo_desk.store.check import check_store
    from shakyo_desk.sync.chain import storage_json

    store = new_store(tmp_path / "odd")
    changes, expected = [], {}
    for seq, (entity, column, value, derived) in enumerate(ODD, start=1):
        entity_id = new_id()
        fields = ({"id": entity_id, "code": f"H-{seq}", "address": "架空村", "created_at": "2026-11-23T09:00:00"}
                  if entity == "household" else
                  {"id": entity_id, "contact_date": "2026-11-20", "method": "訪問", "companions": [], "concerns": [],
                   "tax_derived": False, "created_at": "2026-11-23T09:00:00"})
        fields[column] = value
        changes.append(remote("dev-odd", seq, entity, entity_id, fields, {}, op="insert"))
        expected[entity_id] = "derived" if derived else "packed"
    with store.write() as w:
        apply.apply_changes(w.conn, iter(copy.deepcopy(changes)))
    how = forms(store)
    assert {i: how[i] for i in expected} == expected
    with store.read() as s:
        texts = changes_codec.fields_texts(s.connection(), [(c["origin"], c["epoch"], c["seq"]) for c in changes])
    assert [texts[(c["origin"], c["epoch"], c["seq"])] for c in changes] == [storage_json(c["fields"]) for c in changes]
    assert not [p for p in check_store(store).problems if "作成時の記録" in p]
