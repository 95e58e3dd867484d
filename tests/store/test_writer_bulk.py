"""Writer.bulk() (issue 20): inserts queued and written with one statement per table, with the
same change log and audit chain as one by one, reads inside seeing every earlier insert, and a
failure anywhere leaving nothing."""

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.ids import new_id
from shakyo_desk.store import audit
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog, Household, Person
from shakyo_desk.store.services.households import household_code


def _household(district):
    household_id = new_id()
    return household_id, {"code": household_code(household_id), "district_id": district, "address": "上町1",
                           "phone": "", "housing_type": "", "flags": [], "notes": ""}


def _counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (Household, Person, ChangeLog, AuditLog))


def test_bulk_writes_rows_log_and_audit_in_order(store, district):
    before = _counts(store)
    ids = []
    with store.write() as w, w.bulk():
        for n in range(30):
            household_id, values = _household(district)
            ids.append(w.insert(Household, values, entity_id=household_id))
            ids.append(w.insert(Person, {"household_id": household_id, "name": f"山田 {n}", "kana": "ヤマダ"}))
    after = _counts(store)
    assert after[0] - before[0] == 30 and after[1] - before[1] == 30
    assert after[2] - before[2] == 60 and after[3] - before[3] == 60
    with store.read() as s:
        logged = s.execute(sa.select(ChangeLog.entity_id, ChangeLog.seq).order_by(ChangeLog.seq.desc()).limit(60)).all()
        audited = [e.entity_id for e in audit.entries(s.connection(), s.execute(  # (v2: rebuilt from the change)
            sa.select(AuditLog.__table__).order_by(AuditLog.id.desc()).limit(60)).all())]
        found = s.execute(sa.select(Household.id).where(Household.id.in_(ids))).scalars().all()
    assert [e for e, _seq in reversed(logged)] == ids  # change log in the order of the inserts
    assert list(reversed(audited)) == ids
    assert len(found) == 30
    report = check_store(store)  # origin chain, audit chain and the household search index
    assert report.sound, report


def test_a_read_inside_bulk_sees_earlier_inserts(store, district):
    with store.write() as w, w.bulk():
        household_id, values = _household(district)
        w.insert(Household, values, entity_id=household_id)
        seen = w.conn.execute(sa.select(Household.id).where(Household.id == household_id)).scalar()
        assert seen == household_id
        w.update(Household, household_id, {"phone": "0000-00-0009"})  # reads the row first
    with store.read() as s:
        assert s.get(Household, household_id).phone == "0000-00-0009"
        ops = s.execute(sa.select(ChangeLog.op).where(ChangeLog.entity_id == household_id)
                        .order_by(ChangeLog.seq)).scalars().all()
    assert ops == ["insert", "update"]
    assert check_store(store).sound


def test_a_row_may_be_queued_before_the_row_it_names(store, district):
    """Foreign keys are checked at the commit: a member queued before its household's row."""
    household_id, values = _household(district)
    with store.write() as w, w.bulk():
        w.insert(Person, {"household_id": household_id, "name": "先に 書く", "kana": "サキ"})
        w.insert(Household, values, entity_id=household_id)
    with store.read() as s:
        assert s.get(Household, household_id) is not None


def test_a_broken_reference_refuses_the_whole_transaction(store, district):
    before = _counts(store)
    household_id, values = _household(district)
    with pytest.raises(InvalidInput):
        with store.write() as w, w.bulk():
            w.insert(Household, values, entity_id=household_id)
            w.insert(Person, {"household_id": new_id(), "name": "宛先 なし", "kana": "ナシ"})
    assert _counts(store) == before
    assert check_store(store).sound


def test_a_failure_inside_bulk_writes_nothing(store, district):
    before = _counts(store)
    with pytest.raises(RuntimeError):
        with store.write() as w, w.bulk():
            for _ in range(5):
                household_id, values = _household(district)
                w.insert(Household, values, entity_id=household_id)
            raise RuntimeError("killed halfway")
    assert _counts(store) == before
    household_id, values = _household(district)
    with store.write() as w:  # the device counters were not advanced by the lost transaction
        w.insert(Household, values, entity_id=household_id)
    assert check_store(store).sound
