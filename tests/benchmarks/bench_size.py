"""Where the bytes go (issue 20): the reference store's size by table and index, and what each
candidate of a leaner encoding would save. Measures only; changes nothing in the store.

    python3 -m tests.benchmarks.run --profile large-town --only size --repeat 1

`bench_size` reads a decrypted page-for-page copy (tests/benchmarks/size_copy.py; deleted at
once) with SQLite's `dbstat`: the store's very layout. `bench_size_whatif` estimates each
candidate on that copy (payload bytes saved, scaled by the table's own bytes-per-payload-byte
on disk), and measures the change log's and audit log's rows and indexes rebuilt lean in the
same file format. `bench_size_pages` re-exports the store encrypted at three page sizes (a
VACUUM at each): three files the size of the store, a few minutes."""

import json
import sqlite3
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from shakyo_desk.store.json_value import to_json_value
from shakyo_desk.store.models import SYNCED_MODELS
from shakyo_desk.sync.chain import storage_json

from .common import Result
from .size_copy import decrypted_copy

MB = 1e6


def _bytes(name: str, value: float, note: str = "") -> Result:
    return Result(name, float(value), float(value), 1, None, "B", note)


def _breakdown(db: sqlite3.Connection) -> tuple[list[dict], int]:
    """Per B-tree: pages, bytes, payload, unused, entries; grouped under its table."""
    owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
    stats = db.execute(
        "SELECT name, count(*), sum(pgsize), sum(payload), sum(unused), "
        "sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END), sum(CASE WHEN pagetype = 'internal' THEN ncell ELSE 0 END) "
        "FROM dbstat GROUP BY name").fetchall()
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    trees = []
    for name, pages, size, payload, unused, leaf_cells, inner_cells in stats:
        table = owner.get(name, name)
        is_index = name != table
        # Index B-trees hold entries in interior pages too; table B-trees only in leaves.
        entries = leaf_cells + (inner_cells if is_index else 0)
        trees.append(dict(name=name, table=table, index=is_index, pages=pages, bytes=size, payload=payload,
                          unused=unused, entries=entries))
    return trees, page_size


def _print_breakdown(trees: list[dict], total: int, facts: dict) -> None:
    by_table: dict[str, list[dict]] = defaultdict(list)
    for t in trees:
        by_table[t["table"]].append(t)
    order = sorted(by_table, key=lambda name: -sum(t["bytes"] for t in by_table[name]))
    print(f"\nwhere the bytes go: {facts['file_bytes'] / MB:.1f} MB, page_size {facts['page_size']} "
          f"(reserve {facts['reserve']} B a page: IV + HMAC), auto_vacuum {facts['auto_vacuum']}, "
          f"freelist {facts['freelist_count']} pages, {facts['page_count']} pages")
    print(f"{'table / index':44} {'MB':>8} {'share':>6} {'rows':>9} {'B/row':>7} {'fill':>5}")
    rest, rest_n = 0, 0
    for name in order:
        group = by_table[name]
        size = sum(t["bytes"] for t in group)
        rows = next((t["entries"] for t in group if not t["index"]), 0)
        if size < MB:
            rest, rest_n = rest + size, rest_n + 1
            continue
        print(f"{name:44} {size / MB:8.1f} {100 * size / total:5.1f}% {rows:9,} {size / max(rows, 1):7.0f}")
        if len(group) > 1:
            for t in sorted(group, key=lambda t: (t["index"], -t["bytes"])):
                label = ("  idx " if t["index"] else "  tbl ") + t["name"]
                fill = t["payload"] / t["bytes"] if t["bytes"] else 0
                print(f"{label:44} {t['bytes'] / MB:8.1f} {100 * t['bytes'] / total:5.1f}% {t['entries']:9,} "
                      f"{t['bytes'] / max(t['entries'], 1):7.0f} {fill:5.2f}")
    print(f"{f'{rest_n} tables under 1 MB each':44} {rest / MB:8.1f} {100 * rest / total:5.1f}%")
    print("(fill: payload / bytes of the B-tree; B/row with its indexes on the table's line)")


def bench_size(ctx) -> list[Result]:
    started = time.perf_counter()
    with decrypted_copy(ctx.store) as (plain, facts):
        db = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            trees, _ = _breakdown(db)
        finally:
            db.close()
    total = facts["page_count"] * int(facts["page_size"])
    _print_breakdown(trees, total, facts)
    seconds = time.perf_counter() - started
    results = [_bytes("size: database file", facts["file_bytes"],
                      f"page_size {facts['page_size']}, auto_vacuum {facts['auto_vacuum']}, "
                      f"freelist {facts['freelist_count']} of {facts['page_count']} pages; measured in {seconds:.0f} s")]
    by_table: dict[str, list[dict]] = defaultdict(list)
    for t in trees:
        by_table[t["table"]].append(t)
    other, other_n = 0, 0
    for name, group in sorted(by_table.items(), key=lambda kv: -sum(t["bytes"] for t in kv[1])):
        size = sum(t["bytes"] for t in group)
        rows = next((t["entries"] for t in group if not t["index"]), 0)
        if size < 4 * MB:
            other, other_n = other + size, other_n + 1
            continue
        own = next((t["bytes"] for t in group if not t["index"]), 0)
        results.append(_bytes(f"size: {name} (table + {len(group) - 1} indexes)", size,
                              f"{rows:,} rows, {size / max(rows, 1):.0f} B/row; table {own / MB:.1f} MB, "
                              f"indexes {(size - own) / MB:.1f} MB; {100 * size / total:.1f} %"))
        for t in sorted(group, key=lambda t: -t["bytes"]):
            if t["index"] and t["bytes"] >= 4 * MB:
                results.append(_bytes(f"size:   index {t['name']}", t["bytes"],
                                      f"{t['entries']:,} entries, {t['bytes'] / max(t['entries'], 1):.0f} B each"))
    results.append(_bytes(f"size: {other_n} other tables (each under 4 MB, with indexes)", other))
    return results
