"""Knowledge advances only for changes a bundle really carries (issue 15): a device that
claims another device's range without its changes must not make us drop that work, and
`check` notices a store whose knowledge claims changes it does not hold."""

import pytest

from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import chains
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import knowledge
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.models import SyncKnowledge
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import enrol, make_office


@pytest.fixture
def council(tmp_path):
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子")
    a = enrol(office, tmp_path, "laptopA")
    b = enrol(office, tmp_path, "laptopB")
    yield office, a, b, household, tmp_path
    for store in (office, a, b):
        store.close()


def stick(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return folder


def key_of(store) -> str:
    with store.read() as s:
        me = ident.load(s.connection())
    return f"{me.device_id}:{me.epoch}"


def held_by(store, key: str) -> int:
    with store.read() as s:
        return knowledge.own(s.connection()).get(key, 0)


def contact_notes(store, household) -> list[str]:
    return [c.seen_heard for c in contacts.list_contacts(store, household_id=household)]


def test_a_claimed_range_without_its_changes_is_refused_and_the_real_work_still_arrives(council, monkeypatch):
    office, a, b, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="畑で元気に話した")
    a_key = key_of(a)
    real_own = knowledge.own

    def boastful(conn):  # B claims to hold a million of A's changes (and carries none)
        return {**real_own(conn), a_key: 1_000_000}

    with monkeypatch.context() as m:
        m.setattr(knowledge, "own", boastful)
        # (an honest exporter keeps another origin's range to the heads it holds: bypassed)
        m.setattr(chains, "attach", lambda conn, me, roster, ranges, known: ranges)
        forged = export_bundle(b, stick(tmp_path, "stick-b"))
    [result] = import_paths(office, [forged.path]).results
    # A's range carries no head signed by A: refused before its missing changes are even counted.
    assert result.status == "refused" and result.reason == "origin"
    assert "laptopB" in result.message and any(q["file_name"] == forged.path.name for q in quarantine_list(office))
    assert held_by(office, a_key) == 0

    genuine = export_bundle(a, stick(tmp_path, "stick-a"))
    [arrived] = import_paths(office, [genuine.path]).results
    assert arrived.status == "applied" and arrived.applied >= 1
    assert "畑で元気に話した" in contact_notes(office, household)
    assert check_store(office).sound


def test_a_range_carried_twice_or_out_of_order_is_refused(council, monkeypatch):
    office, a, b, household, tmp_path = council
    contacts.add_contact(b, household_id=household, method="電話", seen_heard="一度だけの電話")
    from shakyo_desk.store.exchange import exporting

    real_fill = exporting.fill_payload

    def twice(conn, payload, ranges, keep):  # every change of the range written two times
        real_fill(conn, payload, ranges, keep)
        real_fill(conn, payload, ranges, keep)

    with monkeypatch.context() as m:
        m.setattr(exporting, "fill_payload", twice)
        doubled = export_bundle(b, stick(tmp_path, "stick"))
    [result] = import_paths(office, [doubled.path]).results
    assert result.status == "refused" and result.reason == "format"
    assert "一度だけの電話" not in contact_notes(office, household)


def test_check_notices_knowledge_of_changes_the_store_does_not_hold(council):
    office, a, b, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="確認の訪問")
    from tests.sync.council import carry

    carry(a, office, tmp_path / "usb")
    assert check_store(office).sound
    a_key = key_of(a)
    origin, epoch = knowledge.split(a_key)
    inflated = held_by(office, a_key) + 50
    with office.write() as w:  # as a forged claim once accepted would have left it
        w.conn.execute(SyncKnowledge.__table__.update().where(
            SyncKnowledge.origin == origin, SyncKnowledge.epoch == epoch), {"seq": inflated})
    problems = check_store(office).problems
    assert any("持っているはずの変更が変更履歴にありません" in p for p in problems), problems
