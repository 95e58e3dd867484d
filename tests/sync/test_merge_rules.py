"""The pure merge rules (sync/merge.py, docs/sync-protocol.md "Merge rules"): version vectors
decide, the HLC stamp only picks the provisional value, and the result depends on the set of
changes, never on their order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shakyo_desk.sync.merge import Change, Merged, merge

OFFICE, LAPTOP, LAPTOP2 = "dev-office", "dev-laptop", "dev-laptop2"
TEXT = frozenset({"notes"})


def stamp(ms: int, device: str) -> str:
    return f"{ms:015d}.000000.{device}"


def change(device: str, seq: int, fields: dict, base: dict | None = None, *, op: str = "update",
           ms: int | None = None) -> Change:
    return Change(device, 1, seq, op, fields, base or {}, stamp(ms if ms is not None else seq * 1000, device),
                  "staff-1", "2026-11-23T10:00:00")


def vv(*changes: Change) -> dict:
    """The version vector of an editor who had seen these changes."""
    seen: dict[str, int] = {}
    for c in changes:
        seen[c.key] = max(seen.get(c.key, 0), c.seq)
    return seen


INSERT = change(OFFICE, 1, {"id": "h1", "phone": "0000-00-0000", "address": "上町1", "notes": "",
                            "deleted_at": None}, op="insert")


def summary(merged: Merged) -> tuple:
    """Everything the merge decides, in an order-free form."""
    conflicts = sorted((c.field, c.kind, tuple((cand.value, cand.change.dot) for cand in c.candidates))
                       for c in merged.conflicts)
    return merged.values, conflicts, merged.has_insert, merged.purged, merged.hlc


# ---- fast-forward and silent merges ------------------------------------------------------


def test_a_change_made_after_seeing_another_fast_forwards():
    first = change(LAPTOP, 1, {"phone": "0000-11-1111"}, vv(INSERT), ms=9_000)
    # Made later in causality but with a much older wall clock: the vectors decide.
    second = change(OFFICE, 2, {"phone": "0000-22-2222"}, vv(INSERT, first), ms=5)
    merged = merge([INSERT, first, second])
    assert merged.values["phone"] == "0000-22-2222"
    assert merged.conflicts == []
    assert merged.values["address"] == "上町1"  # untouched fields keep the insert's value


def test_concurrent_equal_values_merge_silently():
    a = change(OFFICE, 2, {"phone": "0000-11-1111", "flags": ["高齢者のみ"]}, vv(INSERT))
    b = change(LAPTOP, 1, {"phone": "0000-11-1111", "flags": ["高齢者のみ"]}, vv(INSERT))
    merged = merge([INSERT, a, b])
    assert merged.conflicts == []
    assert merged.values["phone"] == "0000-11-1111" and merged.values["flags"] == ["高齢者のみ"]


def test_concurrent_edits_of_different_fields_both_apply():
    a = change(OFFICE, 2, {"phone": "0000-11-1111"}, vv(INSERT))
    b = change(LAPTOP, 1, {"address": "下町2"}, vv(INSERT))
    merged = merge([INSERT, a, b])
    assert merged.conflicts == []
    assert (merged.values["phone"], merged.values["address"]) == ("0000-11-1111", "下町2")


# ---- conflicts -----------------------------------------------------------------------------

A = change(OFFICE, 2, {"phone": "0000-11-1111"}, vv(INSERT), ms=2_000)
B = change(LAPTOP, 1, {"phone": "0000-22-2222"}, vv(INSERT), ms=3_000)
C = change(LAPTOP2, 1, {"phone": "0000-33-3333"}, vv(INSERT), ms=1_000)


@given(st.permutations([INSERT, A, B, C]))
def test_concurrent_different_values_are_a_conflict_whatever_the_order(changes):
    merged = merge(changes)
    [conflict] = merged.conflicts
    assert conflict.field == "phone" and conflict.kind == "value"
    assert [cand.value for cand in conflict.candidates] == ["0000-22-2222", "0000-11-1111", "0000-33-3333"]
    assert merged.values["phone"] == "0000-22-2222"  # newest stamp shown provisionally, the same everywhere
    assert summary(merged) == summary(merge([INSERT, A, B, C]))


def test_a_change_that_saw_one_branch_only_still_conflicts_with_the_other():
    after_a = change(OFFICE, 3, {"phone": "0000-44-4444"}, vv(INSERT, A))
    merged = merge([INSERT, A, B, after_a])
    [conflict] = merged.conflicts
    assert sorted(cand.value for cand in conflict.candidates) == ["0000-22-2222", "0000-44-4444"]


@given(st.permutations([0, 1, 2]))
def test_long_text_is_always_shown_side_by_side(order):
    a = change(OFFICE, 2, {"notes": "日中独居。"}, vv(INSERT), ms=2_000)
    b = change(LAPTOP, 1, {"notes": "娘さんが週末に来る。"}, vv(INSERT), ms=3_000)
    merged = merge([[INSERT, a, b][i] for i in order], TEXT)
    [conflict] = merged.conflicts
    assert conflict.field == "notes" and conflict.kind == "text"
    assert {cand.value for cand in conflict.candidates} == {"日中独居。", "娘さんが週末に来る。"}
    assert merged.values["notes"] == "娘さんが週末に来る。"  # the newer stamp, shown until someone chooses


def test_the_same_column_without_the_text_marker_is_a_value_conflict():
    a = change(OFFICE, 2, {"notes": "日中独居。"}, vv(INSERT))
    b = change(LAPTOP, 1, {"notes": "娘さんが週末に来る。"}, vv(INSERT))
    [conflict] = merge([INSERT, a, b]).conflicts
    assert conflict.kind == "value"


def test_a_resolution_that_saw_every_branch_clears_the_conflict():
    resolution = change(LAPTOP2, 1, {"phone": "0000-11-1111"}, vv(INSERT, A, B))
    merged = merge([INSERT, A, B, resolution])
    assert merged.conflicts == []
    assert merged.values["phone"] == "0000-11-1111"


def test_a_resolution_that_missed_a_branch_leaves_a_conflict():
    resolution = change(LAPTOP2, 2, {"phone": "0000-11-1111"}, vv(INSERT, A, B))
    merged = merge([INSERT, A, B, C, resolution])
    [conflict] = merged.conflicts
    assert sorted(cand.value for cand in conflict.candidates) == ["0000-11-1111", "0000-33-3333"]


# ---- delete vs edit, purge ---------------------------------------------------------------

DELETE = change(OFFICE, 2, {"deleted_at": "2026-11-23T09:00:00"}, vv(INSERT), ms=5_000)
EDIT = change(LAPTOP, 1, {"address": "下町2"}, vv(INSERT), ms=1_000)


@given(st.permutations([INSERT, DELETE, EDIT]))
def test_delete_against_a_concurrent_edit_keeps_the_record_and_asks(changes):
    merged = merge(changes)
    assert merged.values["deleted_at"] is None  # still visible
    assert merged.values["address"] == "下町2"  # and the edit is not lost
    [conflict] = merged.conflicts
    assert conflict.field == "deleted_at" and conflict.kind == "delete"
    deleters = [cand for cand in conflict.candidates if cand.value is not None]
    keepers = [cand for cand in conflict.candidates if cand.value is None]
    assert [c.change.origin for c in deleters] == [OFFICE] and [c.change.origin for c in keepers] == [LAPTOP]


def test_a_delete_made_after_seeing_the_edit_just_deletes():
    delete = change(OFFICE, 2, {"deleted_at": "2026-11-23T09:00:00"}, vv(INSERT, EDIT))
    merged = merge([INSERT, EDIT, delete])
    assert merged.values["deleted_at"] == "2026-11-23T09:00:00" and merged.conflicts == []


def test_an_edit_made_after_seeing_the_delete_does_not_revive():
    edit = change(LAPTOP, 1, {"address": "下町2"}, vv(INSERT, DELETE))
    merged = merge([INSERT, DELETE, edit])
    assert merged.values["deleted_at"] == "2026-11-23T09:00:00" and merged.conflicts == []


def test_choosing_to_delete_or_to_keep_ends_the_delete_conflict():
    for chosen in ("2026-11-23T09:00:00", None):
        resolution = change(LAPTOP2, 1, {"deleted_at": chosen}, vv(INSERT, DELETE, EDIT))
        merged = merge([INSERT, DELETE, EDIT, resolution])
        assert merged.conflicts == [] and merged.values["deleted_at"] == chosen


@given(st.permutations([0, 1, 2, 3, 4]))
def test_purge_dominates_everything_before_and_after_it(order):
    purge = change(OFFICE, 3, {}, vv(INSERT, A), op="purge", ms=10)
    later = change(LAPTOP, 2, {"phone": "0000-99-9999"}, vv(INSERT, A, purge), ms=99_000)
    merged = merge([[INSERT, A, B, purge, later][i] for i in order])
    assert merged.purged and merged.values == {} and merged.conflicts == []
    assert merged.has_insert


# ---- order-freedom over random histories --------------------------------------------------

FIELDS = ("phone", "notes", "deleted_at")
VALUES = {"phone": ["1", "2"], "notes": ["あ", "い"], "deleted_at": [None, "2026-11-23T09:00:00"]}


@st.composite
def histories(draw):
    """An insert and a few updates from three devices, each editor having seen a random part
    of what existed before it (the insert and its device's own earlier changes always)."""
    made = [INSERT]
    seqs = {OFFICE: 1, LAPTOP: 0, LAPTOP2: 0}
    for n in range(draw(st.integers(1, 7))):
        device = draw(st.sampled_from(sorted(seqs)))
        seqs[device] += 1
        seen = [c for c in made if c is INSERT or c.origin == device or draw(st.booleans())]
        field = draw(st.sampled_from(FIELDS))
        value = draw(st.sampled_from(VALUES[field]))
        made.append(change(device, seqs[device], {field: value}, vv(*seen), ms=draw(st.integers(0, 5)) * 1000 + n))
    return made


@settings(max_examples=200)
@given(histories(), st.randoms(use_true_random=False))
def test_the_result_depends_on_the_set_of_changes_not_their_order(changes, random):
    shuffled = list(changes)
    random.shuffle(shuffled)
    assert summary(merge(shuffled, TEXT)) == summary(merge(changes, TEXT))
