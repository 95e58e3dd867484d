"""The audit log's head travels (issue 16 item 3): every bundle carries its sender's head, the
receiver records it and sends it back in its own bundles, so a laptop whose log was cut (and
whose local witnesses were wiped) learns it from the office's next bundle. Real stores, real
enrolment, real bundle files."""

import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.store import backup
from shakyo_desk.store.models import AuditLog, AuditWitness, DeviceState
from shakyo_desk.store.services import audit_log, households
from shakyo_desk.store.store import unlock
from shakyo_desk.sync import bundle

from .council import PASSPHRASE, carry, office_with_laptop


def _device_id(store) -> str:
    with store.read() as s:
        return s.execute(sa.select(DeviceState.device_id)).scalar_one()


def _witnesses(store, **where) -> list:
    with store.read() as s:
        return s.execute(sa.select(AuditWitness).filter_by(**where).order_by(AuditWitness.id)).scalars().all()


def _last_id(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()


def _cut_and_forget(store, keep_through: int):
    """What someone with the laptop's data key does: cut the tail, set the id counter back and
    wipe every witness the laptop holds. Returns the store opened again."""
    root, key = store.layout.root, store.data_key
    store.close()
    conn = sqlcipher3.connect(str(root / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("DELETE FROM audit_log WHERE id > ?", (keep_through,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (keep_through,))
    conn.execute("DELETE FROM audit_witness")
    conn.commit()
    conn.close()
    return unlock(root, "admin", PASSPHRASE)


def test_heads_travel_and_a_cut_laptop_hears_it_from_the_office(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        laptop_id = _device_id(laptop)
        for n in range(5):
            households.update_household(laptop, household, notes=f"訪問メモ {n}")
        carry(laptop, office, tmp_path / "usb1")
        [sent] = _witnesses(laptop, source="export")
        [seen] = _witnesses(office, source="bundle", device_id=laptop_id)
        assert (seen.entry_id, seen.hash, seen.epoch) == (sent.entry_id, sent.hash, sent.epoch)
        assert seen.witness == _device_id(office)

        exported, _ = carry(office, laptop, tmp_path / "usb2")
        manifest = _manifest_of(laptop, exported.path)
        assert manifest["audit_head"]["device_id"] == _device_id(office)
        assert {"device_id": laptop_id, "epoch": sent.epoch, "id": sent.entry_id, "hash": sent.hash} \
            in manifest["witnesses"]
        [back] = _witnesses(laptop, source="returned")
        assert (back.entry_id, back.hash, back.witness) == (sent.entry_id, sent.hash, _device_id(office))
        report = audit_log.verify(laptop)
        assert report.sound and report.witnesses >= 2

        # Someone cuts the laptop's log back to before the export and wipes its witnesses.
        laptop = _cut_and_forget(laptop, sent.entry_id - 6)
        try:
            assert audit_log.verify(laptop).sound  # nothing left on the laptop to compare with
            carry(office, laptop, tmp_path / "usb3")  # …until the office's next bundle
            report = audit_log.verify(laptop)
            last = _last_id(laptop)  # (the entries since the cut took the cut ids: the counter was set back)
            assert not report.sound and last < sent.entry_id
            [sentence] = report.sentences
            assert sentence.startswith(f"第{last + 1}〜{sent.entry_id}件の記録が消されています（")
            assert "端末「事務局」が受け取った控え" in sentence and f"では第{sent.entry_id}件まであります" in sentence
        finally:
            laptop.close()


def _manifest_of(store, path):
    """The manifest of a bundle file as ``store`` opens and verifies it."""
    from shakyo_desk.store.exchange import identity
    from shakyo_desk.sync import roster

    with store.read() as s:
        conn = s.connection()
        me = identity.load(conn)
        keys = roster.trusted_keys(identity.roster_data(conn))
    return bundle.verify_bundle(path, me.keys, keys, me.council_id).manifest


def test_a_restored_laptop_is_told_not_accused(tmp_path):
    """A laptop restored from its backup lost what it wrote after it; the office's witness of
    that later head is a notice, not tampering (the epoch it belongs to ended at the backup)."""
    with office_with_laptop(tmp_path) as (office, laptop, household):
        saved = backup.create_backup(laptop, tmp_path / "laptop.shakyo-backup")
        for n in range(3):
            households.update_household(laptop, household, notes=f"復元前のメモ {n}")
        carry(laptop, office, tmp_path / "usb1")
        [sent] = _witnesses(laptop, source="export")
        restored = backup.restore_with_passphrase(saved.path, tmp_path / "restored", "admin", PASSPHRASE)
        again = unlock(restored.root, "admin", PASSPHRASE)
        try:
            [end] = _witnesses(again, source="epoch_end")
            assert end.epoch == sent.epoch and end.entry_id < sent.entry_id
            carry(office, again, tmp_path / "usb2")
            report = audit_log.verify(again)
            assert report.sound, report.sentences
            assert report.notices == (f"バックアップからの復元などで、第{end.entry_id + 1}〜{sent.entry_id}件"
                                      "（元の端末がその後に残した記録）はこの端末にありません。",)
        finally:
            again.close()


# ---- the manifest keys ---------------------------------------------------------------------------

def _manifest(**extra) -> dict:
    m = bundle.make_manifest(council_id="c", schema_version="0012", device_id="dev-a", epoch=3, seq=1,
                             prev_bundle_hash=None, ranges=[], knowledge={}, roster_version=1)
    m.update(format_version=bundle.FORMAT_VERSION, recipients=["age1x"], counts={"changes": 0},
             payload={"encoding": bundle.PAYLOAD_ENCODING, "sha256": "0" * 64, "size": 0}, **extra)
    return m


def test_audit_head_and_witnesses_in_a_manifest_are_checked():
    head = {"device_id": "dev-a", "epoch": 3, "id": 120, "hash": "a" * 64, "at": "2026-12-07T10:00:00Z"}
    witness = {"device_id": "dev-b", "epoch": 7, "id": 4, "hash": "b" * 64}
    assert bundle._manifest_problem(_manifest()) is None  # both are optional
    ok = _manifest(audit_head=head, witnesses=[witness])
    assert bundle._manifest_problem(ok) is None and bundle._manifest_limit(ok) is None
    for bad in ({**head, "device_id": "dev-b"},  # another device's head is no sender's head
                {**head, "id": 0}, {**head, "hash": "A" * 64}, {**head, "extra": 1}, {**head, "epoch": "3"},
                [head]):
        assert bundle._manifest_problem(_manifest(audit_head=bad)) == "audit_head", bad
    for bad in ({"x": 1}, [{**witness, "hash": "zz"}], [{**witness, "at": ""}], [witness, 5]):
        assert bundle._manifest_problem(_manifest(witnesses=bad)) == "witnesses", bad
    many = _manifest(witnesses=[witness] * (bundle.MAX_WITNESSES + 1))
    assert bundle._manifest_problem(many) is None and bundle._manifest_limit(many) == "count"
    huge = _manifest(witnesses=[{**witness, "id": bundle.MAX_NUMBER + 1}])
    assert bundle._manifest_limit(huge) == "number"
    long_at = _manifest(audit_head={**head, "at": "x" * 41})
    assert bundle._manifest_limit(long_at) == "text"


def test_the_newest_head_of_each_reader_is_sent_back_with_its_own_hash(tmp_path):
    """Heads arriving out of order (an older bundle imported after a newer one): what goes back
    is the newest id with the hash recorded for that id."""
    from shakyo_desk.store import audit_witness

    from .council import make_office

    office, _ = make_office(tmp_path)
    try:
        with office.write() as w:
            for device, epoch, entry_id, digest in (("dev-x", 5, 10, "a"), ("dev-x", 5, 12, "b"),
                                                    ("dev-x", 5, 11, "c"), ("dev-x", 6, 3, "d"),
                                                    ("dev-y", 2, 7, "e"), ("dev-z", 1, 9, "f")):
                head = {"device_id": device, "epoch": epoch, "id": entry_id, "hash": digest * 64, "at": ""}
                audit_witness.take_from_manifest(w.conn, {"audit_head": head}, "me", device, digest * 64)
            part = audit_witness.manifest_part(w.conn, "me", 1, ["dev-x", "dev-y"])
        assert part["audit_head"]["id"] == _last_id(office)
        assert part["witnesses"] == [
            {"device_id": "dev-x", "epoch": 5, "id": 12, "hash": "b" * 64},
            {"device_id": "dev-x", "epoch": 6, "id": 3, "hash": "d" * 64},
            {"device_id": "dev-y", "epoch": 2, "id": 7, "hash": "e" * 64},  # (dev-z cannot read it)
        ]
    finally:
        office.close()
