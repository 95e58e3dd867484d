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
        trees.append({"name": name, "table": table, "index": is_index, "pages": pages, "bytes": size, "payload": payload,
                          "unused": unused, "entries": entries})
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


# ---- what-if: each candidate of issue 20, estimated on the decrypted copy ------------------------

UUID = 36  # a UUID as text; 16 bytes as a blob
SAMPLE = 4  # compression is tried on every 4th change (rowid % 4 == 0) and scaled up


def _sum(db: sqlite3.Connection, sql: str) -> int:
    return db.execute(sql).fetchone()[0] or 0


def _derivable_inserts(plain: Path) -> dict:
    """Inserts whose record was never changed afterwards and whose stored `fields` text is,
    byte for byte, what the record's row re-encodes to (`storage_json` of `to_json_value` of
    each column, keys in the order the insert wrote them: a per-table list of key orders)."""
    engine = sa.create_engine(f"sqlite:///file:{plain}?mode=ro&uri=true")
    out = {"rows": 0, "bytes": 0, "inserts": 0, "insert_bytes": 0, "mismatched": 0, "shapes": 0}
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            for entity, model in SYNCED_MODELS.items():
                table = model.__table__
                rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
                changes = raw.execute("SELECT entity_id, op, fields FROM change_log WHERE entity = ? "
                                      "ORDER BY entity_id", (entity,))
                shapes: set[tuple] = set()
                pending = changes.fetchone()
                for row in rows:
                    while pending is not None and pending[0] < row["id"]:
                        pending = changes.fetchone()
                    history = []
                    while pending is not None and pending[0] == row["id"]:
                        history.append(pending)
                        pending = changes.fetchone()
                    inserts = [h for h in history if h[1] == "insert"]
                    for h in inserts:
                        out["inserts"] += 1
                        out["insert_bytes"] += len(h[2].encode())
                    if len(history) != 1 or not inserts:
                        continue
                    text = history[0][2]
                    keys = tuple(json.loads(text))
                    shapes.add(keys)
                    derived = storage_json({k: to_json_value(row[k]) for k in keys})
                    if derived == text:
                        out["rows"] += 1
                        out["bytes"] += len(text.encode())
                    else:
                        out["mismatched"] += 1
                out["shapes"] += len(shapes)
    finally:
        engine.dispose()
    return out


def _compression(db: sqlite3.Connection) -> dict:
    """Per-row zlib of `fields`: plain, with a per-table dictionary trained on other rows of
    that table, and with field names interned (the values as a JSON array, the key order
    named by a small shape number), plus LZMA raw (no header) for comparison."""
    import lzma

    samples: dict[str, list[bytes]] = defaultdict(list)
    for entity, text in db.execute("SELECT entity, fields FROM change_log WHERE rowid % 97 = 1"):
        samples[entity].append(text.encode())
    zdicts = {e: b"".join(texts[-200:])[-32768:] for e, texts in samples.items()}
    vdicts = {e: b"".join(storage_json(list(json.loads(t).values())).encode() for t in texts[-300:])[-32768:]
              for e, texts in samples.items()}
    sizes = {"text": 0, "zlib": 0, "zlib_dict": 0, "interned": 0, "interned_dict": 0, "lzma": 0, "rows": 0}
    lzma_filters = [{"id": lzma.FILTER_LZMA2, "preset": 6}]
    for entity, text in db.execute(f"SELECT entity, fields FROM change_log WHERE rowid % {SAMPLE} = 0"):
        raw = text.encode()
        sizes["rows"] += 1
        sizes["text"] += len(raw)
        sizes["zlib"] += len(zlib.compress(raw, 9))
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdicts.get(entity, b""))
        sizes["zlib_dict"] += len(c.compress(raw) + c.flush())
        values = storage_json(list(json.loads(text).values())).encode()
        sizes["interned"] += len(values) + 1
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, vdicts.get(entity, b""))
        sizes["interned_dict"] += len(c.compress(values) + c.flush()) + 1
        sizes["lzma"] += len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=lzma_filters))
    return {k: v * SAMPLE if k != "rows" else v for k, v in sizes.items()}


def bench_size_whatif(ctx) -> list[Result]:
    """The study of issue 20 on a store of change log v1 (`fields` text); a compacted store
    (migration 0019) has nothing left to estimate here."""
    with ctx.store.engine.connect() as conn:
        columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(change_log)")}
    if "fields" not in columns:
        print("\nwhat-if: the change log is v2 already (migration 0019): nothing to estimate")
        return []
    started = time.perf_counter()
    with decrypted_copy(ctx.store) as (plain, facts):
        db = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            trees, _ = _breakdown(db)
            rows = _whatif(db, plain, trees, facts)
        finally:
            db.close()
    total = facts["file_bytes"]
    print(f"\nwhat-if on {total / MB:.1f} MB (each alone, against today's store; estimates unless marked)")
    print(f"{'candidate':78} {'MB saved':>9} {'% of total':>10}")
    results = []
    for name, saved, note in rows:
        print(f"{name:78} {saved / MB:9.1f} {100 * saved / total:9.1f}%")
        if note:
            print(f"{'':4}{note}")
        results.append(_bytes(f"what-if: {name}", saved, f"{100 * saved / total:.1f} % of the file; {note}"))
    print(f"(measured in {time.perf_counter() - started:.0f} s)")
    return results


def _whatif(db: sqlite3.Connection, plain: Path, trees: list[dict], facts: dict) -> list[tuple[str, float, str]]:
    tree = {t["name"]: t for t in trees}
    # Bytes on disk per byte of payload, for each B-tree: a payload byte saved saves this much.
    factor = {name: t["bytes"] / t["payload"] for name, t in tree.items() if t["payload"]}
    cl, al = factor["change_log"], factor["audit_log"]
    out: list[tuple[str, float, str]] = []
    n_changes = tree["change_log"]["entries"]
    n_audit = tree["audit_log"]["entries"]

    # 1. An insert's fields when the row still holds them unchanged.
    d = _derivable_inserts(plain)
    saved = (d["bytes"] - 2 * d["rows"]) * cl  # (2 bytes: the key order's number)
    out.append(("change log: insert `fields` re-derived from the unchanged row", saved,
                (f"{d['rows']:,} of {d['inserts']:,} inserts never changed afterwards and re-encode byte for byte "
                f"({d['bytes'] / MB:.0f} of {d['insert_bytes'] / MB:.0f} MB of insert text); {d['mismatched']} never "
                f"changed but not re-encodable; {d['shapes']} key orders over all tables")))

    # 2. Compression of `fields`, and interned field names.
    z = _compression(db)
    for key, label in (("zlib", "zlib per row"), ("zlib_dict", "zlib per row with a per-table dictionary"),
                       ("lzma", "LZMA raw per row"), ("interned", "field names interned (values array + key order)"),
                       ("interned_dict", "interned + zlib with a per-table dictionary")):
        out.append((f"change log: `fields` {label}", (z["text"] - z[key]) * cl,
                    f"{z['text'] / MB:.0f} MB of text → {z[key] / MB:.0f} MB (every {SAMPLE}th row, scaled)"))
    rest_text = z["text"] - d["bytes"]
    out.append(("change log: derived inserts + the rest interned and zlib'd (dictionary)",
                (d["bytes"] - 2 * d["rows"] + rest_text * (1 - z["interned_dict"] / z["text"])) * cl,
                "the two above together, the compression ratio applied to what stays stored"))

    # 3. Binary instead of text in the change log: UUIDs 36 → 16, the stamp (15 digits of ms,
    # a counter, the origin's id again) → 8 + 4, recorded_at 26 → 8, entity and op → 1 byte codes.
    text_bytes = _sum(db, "SELECT sum(length(origin_device) + length(entity_id) + coalesce(length(staff_id), 0) "
                          "+ length(hlc) + length(recorded_at) + length(entity) + length(op)) FROM change_log")
    binary = n_changes * (16 + 16 + 16 + 12 + 8 + 1 + 1)
    out.append(("change log: binary ids, stamps and times, coded entity/op (row)", (text_bytes - binary) * cl,
                f"{text_bytes / n_changes:.0f} → {binary / n_changes:.0f} B a row"))
    entity_key = _sum(db, "SELECT sum(length(entity) + length(entity_id) + length(hlc)) FROM change_log")
    idx = tree["ix_change_log_entity_order"]
    new_key = n_changes * (1 + 16 + 12)
    out.append(("change log: entity index on binary keys", idx["bytes"] * (1 - (new_key + n_changes * 4) /
                                                                      (entity_key + n_changes * 4)),
                (f"key {entity_key / n_changes:.0f} → {new_key / n_changes:.0f} B, scaled on the index's "
                f"{idx['bytes'] / MB:.0f} MB")))
    out.append(("change log: WITHOUT ROWID on (origin, epoch, seq): no separate primary-key index",
                tree["sqlite_autoindex_change_log_1"]["bytes"] - n_changes * 6 * factor["ix_change_log_entity_order"],
                "the table is its own key order; the entity index then holds the key (about 6 B more an entry)"))

    # 4. The audit log.
    prev = _sum(db, "SELECT sum(length(prev_hash)) FROM audit_log")
    out.append(("audit: prev_hash not stored (it is the previous entry's hash)", prev * al,
                "kept only after a gap (first id after a missing one); the HMAC covers it either way"))
    out.append(("audit: hash as 32 bytes instead of 64 hex", (_sum(db, "SELECT sum(length(hash)) FROM audit_log")
                                                          - 32 * n_audit) * al, ""))
    audit_text = _sum(db, "SELECT sum(coalesce(length(staff_id), 0) + length(device_id) + length(login) "
                          "+ length(action) + length(at) + coalesce(length(key_id), 0)) FROM audit_log")
    audit_bin = _sum(db, "SELECT sum(CASE WHEN staff_id IS NULL THEN 0 ELSE 16 END + 1 + 1 + 1 + 8 + 1) FROM audit_log")
    out.append(("audit: binary staff id and time, interned login/device/action/key id", (audit_text - audit_bin) * al,
                f"{audit_text / n_audit:.0f} → {audit_bin / n_audit:.0f} B a row"))
    change_audit = "action IN (SELECT DISTINCT entity || '.' || op FROM change_log)"
    ref = _sum(db, f"SELECT sum(length(action) + length(entity) + length(entity_id) + length(detail) - 4) "
                   f"FROM audit_log WHERE {change_audit} AND detail IN ('{{}}') OR ({change_audit} AND detail LIKE '{{\"fields\":%')")
    n_ref = _sum(db, f"SELECT count(*) FROM audit_log WHERE {change_audit}")
    ix_entity = tree["ix_audit_log_entity_id"]
    out.append(("audit: a change's entry references its change-log row (no entity, id, fields)",
                ref * al + ix_entity["bytes"] * n_ref / max(ix_entity["entries"], 1),
                (f"{n_ref:,} of {n_audit:,} entries are changes; their entity-id index entries go too "
                "(a record's history is found through the change log's entity index)")))
    idx_names = ["ix_audit_log_at", "ix_audit_log_login_at", "ix_audit_log_action_at"]
    idx_bytes = sum(tree[n]["bytes"] for n in idx_names)
    # at 26 → 8, login and action 1-byte codes: keys of about 8+rowid, 9+rowid, 9+rowid.
    old_keys = _sum(db, "SELECT sum(3 * length(at) + length(login) + length(action)) FROM audit_log") + n_audit * 3 * 4
    new_keys = n_audit * (3 * 8 + 2 + 3 * 4)
    out.append(("audit: time/login/action indexes on binary time and codes", idx_bytes * (1 - new_keys / old_keys),
                f"{idx_bytes / MB:.0f} MB of index, keys {old_keys / n_audit:.0f} → {new_keys / n_audit:.0f} B"))

    # 5. Records: every UUID (ids, references, created_by) and the stamp in each row as binary.
    uuid_saved, rows_saved = 0, 0
    for entity, model in SYNCED_MODELS.items():
        table = model.__table__
        uuid_cols = [c.name for c in table.columns if getattr(c.type, "length", None) == 36]
        if not uuid_cols:
            continue
        expr = " + ".join(f"(CASE WHEN length({c}) = 36 THEN 20 ELSE 0 END)" for c in uuid_cols)
        row = _sum(db, f"SELECT sum({expr} + max(length(hlc) - 12, 0) + coalesce(length(created_at) - 8, 0)) FROM {entity}")
        rows_saved += row * factor.get(entity, 1.1)
        for t in trees:  # every index keyed on a UUID column (at least the primary key)
            if t["index"] and t["table"] == entity:
                uuid_saved += 20 * t["entries"] * factor.get(t["name"], 1.3)
    out.append(("records: UUIDs, stamps and times as binary in every synced table (rows)", rows_saved,
                "a change of every table, every query and every screen's id handling"))
    out.append(("records: their indexes on binary UUIDs", uuid_saved, "20 B an entry, for each UUID-keyed index"))

    # 6. B-tree slack: what a VACUUM gives back here (the fill of each B-tree as it is).
    slack = sum(t["unused"] for t in trees) + facts["freelist_count"] * int(facts["page_size"])
    out.append(("unused bytes in pages (upper bound of a VACUUM at this page size)", slack,
                f"freelist {facts['freelist_count']} pages; measured by bench_size_pages"))
    return out


def bench_size_pages(ctx) -> list[Result]:
    """The store re-exported encrypted (sqlcipher_export: every B-tree rebuilt, as VACUUM does)
    at 4096, 8192 and 16384-byte pages, in a temporary folder, each deleted after its size is
    read. SQLCipher keeps 80 bytes of each page for the IV and HMAC."""
    from shakyo_desk.store.engine import checkpoint

    store = ctx.store
    results = []
    checkpoint(store.engine)
    with tempfile.TemporaryDirectory(prefix="shakyo-size-") as tmp:
        for page_size in (4096, 8192, 16384):
            target = Path(tmp) / f"p{page_size}.db"
            started = time.perf_counter()
            with store.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                raw.execute(f"ATTACH DATABASE '{target}' AS sized KEY \"x'{store.data_key.hex()}'\"")
                try:
                    raw.execute(f"PRAGMA sized.cipher_page_size = {page_size}")
                    raw.execute("SELECT sqlcipher_export('sized')")
                finally:
                    raw.execute("DETACH DATABASE sized")
            seconds = time.perf_counter() - started
            size = target.stat().st_size
            target.unlink()
            saved = store.layout.database.stat().st_size - size
            print(f"page_size {page_size}: {size / MB:.1f} MB after a full rebuild ({saved / MB:+.1f} MB saved), "
                  f"{seconds:.0f} s")
            results.append(_bytes(f"VACUUM (encrypted re-export) at page_size {page_size}", size,
                                  f"{saved / MB:.1f} MB smaller than today's file; export took {seconds:.0f} s"))
    return results
