"""Hostile and oversized bundle files (issue 15): the signature is checked over the raw bytes
before any JSON is parsed, everything a bundle declares or carries is bounded, and one bad file
never stops the other files of a run — through `import_paths`, the CLI and the mailbox."""

import base64
import hashlib
import json
import os
import tracemalloc
import zlib
from datetime import date
from pathlib import Path

import pyrage
import pytest
import sqlalchemy as sa
from pyrage import x25519

from shakyo_desk import crash_report
from shakyo_desk.cli import main
from shakyo_desk.domain import faults
from shakyo_desk.store import migrate
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import importing
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.exchange.mailbox import exchange, outbox_name
from shakyo_desk.store.models import SyncBundle
from shakyo_desk.store.services import contacts
from shakyo_desk.store.store import unlock
from shakyo_desk.sync import bundle
from shakyo_desk.sync.bundle import (
    INFLATE_STEP,
    MAX_FIELD_CHARS,
    BundleRefused,
    CarriedRoster,
    DeviceKeys,
    build_inner,
    canonical_json,
    make_manifest,
    open_bundle,
    pack_bundle,
    write_bundle_file,
)
from tests.sync.council import PASSPHRASE, office_with_laptop
from tests.sync.helpers import COUNCIL, Council, changes, manifest

TODAY = date(2026, 11, 23)
HOSTILE = "shakyo-000-hostile-e1-000001.bundle"  # sorts before every bundle the app names


@pytest.fixture
def council(tmp_path):
    with office_with_laptop(tmp_path) as trio:
        yield trio


def me(store) -> ident.Identity:
    with store.read() as s:
        return ident.load(s.connection())


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def full_manifest(base: dict, payload: bytes, size: int, count: int, recipients: list[str], version: int = 2) -> dict:
    return {**base, "format_version": version, "recipients": recipients,
            "payload": {"encoding": "json+zlib", "sha256": hashlib.sha256(payload).hexdigest(), "size": size},
            "counts": {"changes": count, "by_entity": {}}}


def forge(keys: DeviceKeys | None, manifest_bytes: bytes, payload: bytes, recipients: list[str],
          version: int = 2, roster: bytes = b"") -> bytes:
    """A container laid out by hand, signed by `keys` (None: 64 random bytes), encrypted to
    `recipients` — what a device of the roster, or anyone holding a public recipient, can make."""
    if keys is None:
        signature = os.urandom(64)
    else:
        message = bundle._signed_message(manifest_bytes, hashlib.sha256(payload).digest(),
                                         roster if version >= 2 else None)
        signature = keys.signing_key.sign(message)
    inner = build_inner(manifest_bytes, payload, signature, version=version, roster=roster)
    return pyrage.encrypt(inner, [x25519.Recipient.from_str(r) for r in recipients])


def nested_manifest(depth: int = 100_000) -> bytes:
    return b'{"council_id":' + b"[" * depth + b"]" * depth + b"}"


def hostile_file(folder: Path, office, version: int) -> Path:
    """Deeply nested JSON in the manifest, a garbage signature: it needs only the office's
    public recipient (printed in every roster), no key of the council."""
    data = forge(None, nested_manifest(), zlib.compress(b"[]"), [me(office).keys.recipient], version=version)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HOSTILE).write_bytes(data)
    return folder / HOSTILE


def laptop_bundle(laptop, household, folder: Path, text: str) -> Path:
    note(laptop, household, text)
    folder.mkdir(parents=True, exist_ok=True)
    return export_bundle(laptop, folder).path


def insider_bundle(laptop, office, folder: Path, name: str, *, seq: int = 1, ranges=(), knowledge=None,
                   payload: bytes | None = None, size: int | None = None, count: int = 0) -> Path:
    """A bundle signed with the laptop's real key (an enrolled device turned hostile)."""
    keys, office_id = me(laptop), me(office)
    payload = zlib.compress(b"[]") if payload is None else payload
    base = make_manifest(council_id=keys.council_id, schema_version=migrate.head_revision(), device_id=keys.device_id,
                         epoch=keys.epoch, seq=seq, prev_bundle_hash=None if seq == 1 else "ab" * 32,
                         ranges=list(ranges), knowledge=knowledge or {}, roster_version=1)
    recipients = [office_id.keys.recipient, keys.keys.recipient]
    m = full_manifest(base, payload, len(zlib.decompress(payload)) if size is None else size, count, recipients)
    folder.mkdir(parents=True, exist_ok=True)
    return write_bundle_file(folder, name, forge(keys.keys, canonical_json(m), payload, recipients))


def quarantined(store) -> list[tuple[str, str]]:
    return [(q["file_name"], q["reason"]) for q in quarantine_list(store)]


# ---------------------------------------------------------------- verify before parse


@pytest.mark.parametrize("version", [2, 1])
def test_a_nested_manifest_with_a_garbage_signature_is_quarantined_and_the_run_goes_on(council, tmp_path, version):
    office, laptop, household = council
    folder = tmp_path / "usb"
    hostile_file(folder, office, version)
    genuine = laptop_bundle(laptop, household, folder, "本物のメモ")
    report = import_paths(office, [folder])
    by_file = {r.file: r for r in report.results}
    # Format 2: no key of the roster signed it, nothing is parsed. Format 1: its manifest is read
    # (for the roster it might carry) only through the bounded parser.
    assert by_file[HOSTILE].status == "refused"
    assert by_file[HOSTILE].reason == ("signature" if version == 2 else "limit")
    assert by_file[genuine.name].status == "applied"
    assert "本物のメモ" in notes_of(office, household)
    assert (HOSTILE, by_file[HOSTILE].reason) in quarantined(office)


def test_cli_sync_import_of_a_folder_quarantines_the_hostile_file_and_imports_the_rest(council, tmp_path, monkeypatch,
                                                                                      capsys):
    office, laptop, household = council
    folder = tmp_path / "usb"
    hostile_file(folder, office, 1)
    laptop_bundle(laptop, household, folder, "CLI経由のメモ")
    root = office.layout.root
    office.close()
    monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SHAKYO_FAST_KDF", "1")
    monkeypatch.delenv("SHAKYO_DEBUG", raising=False)
    code = main(["sync", "import", str(folder), "--store", str(root), "--user", "admin", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == BundleRefused.exit_code == 8, err  # not 70: no unexpected error
    results = {r["file"]: r for r in json.loads(out)["results"]}
    assert results[HOSTILE]["status"] == "refused" and results[HOSTILE]["reason"] == "limit"
    assert "入れ子が深すぎる" in results[HOSTILE]["message"]
    assert [r["status"] for f, r in results.items() if f != HOSTILE] == ["applied"]
    again = unlock(root, "admin", PASSPHRASE)
    try:
        assert "CLI経由のメモ" in notes_of(again, household)
        assert (HOSTILE, "limit") in quarantined(again)
    finally:
        again.close()


def test_the_mailbox_quarantines_the_hostile_file_and_imports_the_others(council, tmp_path):
    office, laptop, household = council
    shared = tmp_path / "share"
    shared.mkdir()
    note(laptop, household, "共有フォルダのメモ")
    exchange(laptop, shared)
    hostile_file(shared / outbox_name("0badc0de", "evil"), office, 2)
    run = exchange(office, shared)
    by_file = {r.file: r for r in run.imported.results}
    assert by_file[HOSTILE].status == "refused" and by_file[HOSTILE].reason == "signature"
    assert [r.status for f, r in by_file.items() if f != HOSTILE] == ["applied"]
    assert "共有フォルダのメモ" in notes_of(office, household)
    assert run.exported  # and the office still wrote its own bundle


def test_a_format_1_bundle_of_a_newly_enrolled_device_is_still_read():
    """The roster a format-1 bundle carries in its manifest is found with the bounded parser
    when no key we hold signed the bundle, and the keys are tried again."""
    council = Council()
    body, admin_signature = b'{"roster":"new"}', os.urandom(64)
    m = manifest(device_id="dev-laptop")
    m["roster"] = {"body": base64.b64encode(body).decode(), "signature": base64.b64encode(admin_signature).decode()}
    payload = zlib.compress(canonical_json(changes()))
    full = full_manifest(m, payload, len(canonical_json(changes())), 3, council.recipients, version=1)
    data = forge(council.laptop, canonical_json(full), payload, council.recipients, version=1)
    seen = []

    def trusted(carried):
        seen.append(carried)
        known = {"dev-office": council.office.public_key}
        if carried == CarriedRoster(body, admin_signature):
            known["dev-laptop"] = council.laptop.public_key
        return known

    assert open_bundle(data, council.office, trusted, COUNCIL).sender == ("dev-laptop", 1, 14)
    assert seen == [None, CarriedRoster(body, admin_signature)]


def test_a_format_2_bundle_carries_its_roster_in_its_own_signed_section():
    council = Council()
    roster = CarriedRoster(b'{"version":7}', os.urandom(64))
    data = pack_bundle(manifest(), changes(), council.office, council.recipients, roster=roster)
    seen = []
    opened = open_bundle(data, council.laptop, lambda carried: seen.append(carried) or council.trusted, COUNCIL)
    assert seen == [roster] and "roster" not in opened.manifest
    # The roster section is signed with the rest: swapping it makes the bundle's signature fail.
    inner = bundle.unpack_inner(pyrage.decrypt(data, [council.laptop.age_identity]))
    other = b'{"version":8}' + os.urandom(64)
    swapped = pyrage.encrypt(build_inner(inner.manifest_bytes, inner.payload, inner.signature, roster=other),
                             [x25519.Recipient.from_str(r) for r in council.recipients])
    with pytest.raises(BundleRefused) as refused:
        open_bundle(swapped, council.laptop, council.trusted, COUNCIL)
    assert refused.value.reason == "signature"


def test_a_member_signing_as_another_device_is_refused_without_trusting_its_claim():
    council = Council()
    data = pack_bundle(manifest(device_id="dev-office"), changes(), council.laptop, council.recipients)
    with pytest.raises(BundleRefused) as refused:
        open_bundle(data, council.office, council.trusted, COUNCIL)
    assert refused.value.reason == "signature" and "別の端末" in refused.value.message


# ---------------------------------------------------------------- limits


def test_a_bundle_number_in_the_millions_costs_no_memory_and_one_sentence(council, tmp_path):
    office, laptop, _ = council

    def peak_of_import(path: Path):
        tracemalloc.start()
        try:
            report = import_paths(office, [path])
            return tracemalloc.get_traced_memory()[1], report.results[0]
        finally:
            tracemalloc.stop()

    # The same import with an ordinary gap first: what any import costs (connection, caches).
    baseline, ordinary = peak_of_import(insider_bundle(laptop, office, tmp_path / "usb", "ordinary.bundle", seq=2))
    assert ordinary.gaps == ["「laptop1」の第1号の同期ファイルがまだ届いていません。"]
    peak, result = peak_of_import(insider_bundle(laptop, office, tmp_path / "usb", "forged.bundle", seq=3_000_000))
    # Enumerating the gap took 1.8 GB; as a range it costs nothing more than the ordinary import.
    assert peak < baseline + (1 << 20), f"peak {peak / 1e6:.1f} MB, ordinary {baseline / 1e6:.1f} MB"
    assert result.status == "applied"
    assert result.gaps == ["「laptop1」の第3号から第2999999号までの同期ファイルがまだ届いていません。"]


def test_a_bundle_number_past_the_limit_is_refused(council, tmp_path):
    office, laptop, _ = council
    path = insider_bundle(laptop, office, tmp_path / "usb", "forged-big.bundle", seq=bundle.MAX_NUMBER + 1)
    (result,) = import_paths(office, [path]).results
    assert (result.status, result.reason) == ("refused", "limit") and "番号" in result.message
    assert ("forged-big.bundle", "limit") in quarantined(office)


def test_an_oversized_field_value_is_refused_and_nothing_of_it_is_kept(council, tmp_path):
    office, laptop, household = council
    genuine = laptop_bundle(laptop, household, tmp_path / "made", "長いメモ")
    keys = me(laptop)
    with office.read() as s:
        trusted = {d["device_id"]: d["public_key"] for d in ident.roster_data(s.connection())["devices"]}
    opened = open_bundle(genuine.read_bytes(), me(office).keys, trusted, keys.council_id)
    items = opened.changes
    long_note = "あ" * (MAX_FIELD_CHARS + 1)
    for change in items:
        if change["entity"] == "contact":
            change["fields"]["seen_heard"] = long_note
    forged = {k: v for k, v in opened.manifest.items() if k not in ("format_version", "recipients", "payload", "counts")}
    data = pack_bundle(forged, items, keys.keys, opened.manifest["recipients"])
    (tmp_path / "usb").mkdir()
    path = write_bundle_file(tmp_path / "usb", genuine.name, data)
    (result,) = import_paths(office, [path]).results
    assert (result.status, result.reason) == ("refused", "limit"), result.message
    assert "項目の値が長すぎる" in result.message
    assert long_note not in notes_of(office, household) and "長いメモ" not in notes_of(office, household)
    assert (genuine.name, "limit") in quarantined(office)


def test_a_change_longer_than_its_limit_is_refused_while_it_is_read():
    big = [{"a": "x" * 1000} for _ in range(3)]
    text = json.dumps(big).encode()
    assert list(bundle.json_objects(iter([text]), max_chars=2000)) == big
    with pytest.raises(BundleRefused) as refused:
        list(bundle.json_objects(iter([text]), max_chars=500))
    assert refused.value.reason == "limit" and "変更が大きすぎる" in refused.value.message
    # An object that never ends is refused once the limit is buffered, not at the end of the payload.
    endless = iter([b'[{"a":"' + b"x" * 1000] * 10_000)
    with pytest.raises(BundleRefused):
        list(bundle.json_objects(endless, max_chars=4000))
    assert len(list(endless)) > 9_000


def test_a_change_nested_too_deep_is_refused():
    deep = b'[{"fields":{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}}]"
    with pytest.raises(BundleRefused) as refused:
        list(bundle.json_objects(iter([deep]), max_chars=1 << 20))
    assert refused.value.reason == "limit"
    assert bundle.change_limit({"fields": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}) == "depth"
    assert bundle.change_limit({"fields": {"a": ["x" * 70_000]}}) == "field"
    assert bundle.change_limit({"fields": {"a": "x", "b": [1, 2]}, "base": {}}) is None


def test_manifest_depth_is_found_without_parsing():
    assert bundle.json_depth(b'{"a":[1,{"b":"[[[[{{"}],"c":"\\"]"}') == 3
    assert bundle.json_depth(nested_manifest(100_000)) == 100_001
    with pytest.raises(BundleRefused) as refused:
        bundle.parse_bounded(nested_manifest(100), 1 << 20, "manifest")
    assert refused.value.reason == "limit"
    # A hostile run of quotes and backslashes is scanned in linear time (no regex backtracking).
    assert bundle.json_depth(b'"\\"' * 300_000) == 0


def spaces_payload(size: int) -> bytes:
    """`[`, `size` spaces, `]`: valid JSON for an empty bundle, inflating ~1,000×."""
    z = zlib.compressobj(9)
    parts = [z.compress(b"[")]
    chunk = b" " * (1 << 20)
    for _ in range(size // len(chunk)):
        parts.append(z.compress(chunk))
    parts += [z.compress(b"]"), z.flush()]
    return b"".join(parts)


@pytest.fixture
def inflated(monkeypatch):
    """Counts the bytes the bundle module inflates."""
    count = {"bytes": 0}
    real = bundle.inflate

    def counting(payload, size=None):
        for piece in real(payload, size):
            count["bytes"] += len(piece)
            yield piece

    monkeypatch.setattr(bundle, "inflate", counting)
    return count


def test_a_decompression_bomb_is_refused_before_it_is_inflated(council, tmp_path, inflated):
    office, laptop, _ = council
    size = 64 << 20
    payload = spaces_payload(size)
    assert len(payload) * bundle.MAX_INFLATE_RATIO < size
    path = insider_bundle(laptop, office, tmp_path / "usb", "bomb.bundle", payload=payload, size=size + 2)
    (result,) = import_paths(office, [path]).results
    assert (result.status, result.reason) == ("refused", "limit") and "展開すると大きくなりすぎる" in result.message
    assert inflated["bytes"] == 0
    assert ("bomb.bundle", "limit") in quarantined(office)


def test_a_payload_inflating_past_its_declared_size_stops_at_once(council, tmp_path, inflated):
    office, laptop, _ = council
    payload = spaces_payload(64 << 20)
    declared = 1 << 20  # small enough to pass the ratio check: the lie shows only while inflating
    path = insider_bundle(laptop, office, tmp_path / "usb", "liar.bundle", payload=payload, size=declared)
    (result,) = import_paths(office, [path]).results
    assert (result.status, result.reason) == ("refused", "limit")
    assert inflated["bytes"] <= declared + INFLATE_STEP


# ---------------------------------------------------------------- one file never stops a run


@pytest.fixture
def recorder(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv("SHAKYO_LOG_DIR", str(folder))
    previous = faults.install(lambda error, where: crash_report.write_report(error, where=where))
    yield folder
    faults.install(previous)


def test_an_unexpected_error_in_one_file_is_reported_and_the_next_file_imported(council, tmp_path, monkeypatch,
                                                                                recorder):
    office, laptop, household = council
    folder = tmp_path / "usb"
    first = laptop_bundle(laptop, household, folder, "一通目のメモ")
    second = laptop_bundle(laptop, household, folder, "二通目のメモ")
    real = importing.verify_bundle

    def breaks_on_the_first(staged, *args):
        if Path(staged).name == first.name:
            raise RecursionError("maximum recursion depth exceeded")
        return real(staged, *args)

    monkeypatch.setattr(importing, "verify_bundle", breaks_on_the_first)
    report = import_paths(office, [folder])
    by_file = {r.file: r for r in report.results}
    assert (by_file[first.name].status, by_file[first.name].reason) == ("refused", "fault")
    assert "予期しないエラー" in by_file[first.name].message and "RecursionError" in by_file[first.name].message
    (written,) = recorder.glob("crash-*.txt")
    assert "exception: RecursionError" in written.read_text("utf-8")
    assert str(written) in by_file[first.name].message
    assert by_file[second.name].status == "applied"
    assert {"一通目のメモ", "二通目のメモ"} <= notes_of(office, household)  # bundles are cumulative
    with office.read() as s:  # nothing of the faulty file was kept
        names = set(s.execute(sa.select(SyncBundle.file_name).where(SyncBundle.direction == "in")).scalars())
    assert names == {second.name}


def test_the_cli_reports_a_fault_in_one_file_and_exits_non_zero(council, tmp_path, monkeypatch, capsys):
    office, laptop, household = council
    logs = tmp_path / "cli-logs"
    monkeypatch.setenv("SHAKYO_LOG_DIR", str(logs))
    folder = tmp_path / "usb"
    first = laptop_bundle(laptop, household, folder, "一通目")
    second = laptop_bundle(laptop, household, folder, "二通目")
    real = importing.verify_bundle
    monkeypatch.setattr(importing, "verify_bundle", lambda staged, *a: (_ for _ in ()).throw(KeyError("x"))
                        if Path(staged).name == first.name else real(staged, *a))
    root = office.layout.root
    office.close()
    monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SHAKYO_FAST_KDF", "1")
    monkeypatch.delenv("SHAKYO_DEBUG", raising=False)
    previous = faults.install(None)
    try:
        code = main(["sync", "import", str(folder), "--store", str(root), "--user", "admin"])
    finally:
        faults.install(previous)
    out, err = capsys.readouterr()
    assert code == 8, err
    assert f"× {first.name}：この同期ファイルの取り込み中に予期しないエラーが起きた（KeyError）" in out
    assert f"○ {second.name}" in out
    assert len(list(logs.glob("crash-*.txt"))) == 1
