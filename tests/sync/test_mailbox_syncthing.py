"""The shared-folder mailbox replicated by two real Syncthing instances (the Debian package
`syncthing`), on real stores: the office writes into its outbox, Syncthing carries it, the
laptop's mailbox run imports it, and back. Both instances talk only over 127.0.0.1
(tests/sync/syncthing.py) and are stopped by their process ids at the end."""

import time
from datetime import date

import pytest

from shakyo_desk.store.exchange.importing import quarantine_list
from shakyo_desk.store.exchange.mailbox import exchange
from shakyo_desk.store.services import contacts
from tests.sync.council import office_with_laptop
from tests.sync.syncthing import Pair, off_loopback, syncthing_binary

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 23)


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return sorted(c.seen_heard for c in contacts.list_contacts(store, household_id=household))


@pytest.fixture
def syncthing():
    binary = syncthing_binary()
    if binary is None:
        pytest.skip("the `syncthing` binary is not installed (Debian package syncthing; .ci/run installs it)")
    return binary


@pytest.fixture
def council(tmp_path):
    with office_with_laptop(tmp_path) as trio:
        yield trio


def test_two_syncthing_instances_carry_the_mailbox_both_ways(tmp_path, syncthing, council):
    office, laptop, household = council
    office_share, laptop_share = tmp_path / "share-at-office", tmp_path / "share-on-laptop"
    office_share.mkdir()
    laptop_share.mkdir()
    started = time.monotonic()
    pair = Pair(syncthing, tmp_path, office_share, laptop_share)
    with pair:
        note(office, household, "事務局からのメモ")
        sent = exchange(office, office_share)
        bundle = sent.exported[0].path
        arrived = laptop_share / bundle.parent.name / bundle.name
        pair.carried(bundle, arrived)
        # An interrupted pull leaves Syncthing's temporary file, cut off, beside the bundles.
        data = bundle.read_bytes()
        litter = arrived.parent / f".syncthing.{bundle.name.replace('-000001.', '-000009.')}.tmp"
        litter.write_bytes(data[: len(data) // 2])

        note(laptop, household, "ノートPCからのメモ")
        got = exchange(laptop, laptop_share)
        assert [(r.file, r.status) for r in got.imported.results] == [(bundle.name, "applied")]
        assert got.waiting == [] and quarantine_list(laptop) == []
        assert notes_of(laptop, household) == ["ノートPCからのメモ", "事務局からのメモ"]

        reply = got.exported[0].path
        pair.carried(reply, office_share / reply.parent.name / reply.name)
        back = exchange(office, office_share)
        assert [(r.file, r.status) for r in back.imported.results] == [(reply.name, "applied")]
        assert back.waiting == [] and quarantine_list(office) == []
        assert notes_of(office, household) == ["ノートPCからのメモ", "事務局からのメモ"]

        # The office's next bundle reaches the laptop too; the temporary file is still only litter.
        pair.carried(back.exported[0].path, laptop_share / bundle.parent.name / back.exported[0].path.name)
        again = exchange(laptop, laptop_share)
        assert [r.status for r in again.imported.results] == ["applied"] and quarantine_list(laptop) == []
        assert litter.exists()

        # Nothing but the loopback address: no UDP (discovery, STUN, QUIC), no outside peer.
        sockets = pair.sockets()
        assert set(sockets) == {"office", "laptop"}, pair.diagnostics()
        assert off_loopback(pair) == [], sockets
        assert any(remote.endswith(f":{pair.office.listen_port}") for _, _, remote in sockets["laptop"]) or \
            any(remote.endswith(f":{pair.laptop.listen_port}") for _, _, remote in sockets["office"]), sockets
    assert all(i.process.poll() is not None and i.leftovers() == [] for i in pair.instances)
    assert time.monotonic() - started < 90
