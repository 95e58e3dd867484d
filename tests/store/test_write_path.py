"""Every service write leaves exactly one change-log row and one audit row per row it writes."""

import pytest
import sqlalchemy as sa
from shakyo_desk.store import changes_codec

from shakyo_desk.domain.errors import InvalidInput, StoreError
from shakyo_desk.store import audit as audit_module
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog, ChangeLog, Household, Person
from shakyo_desk.store.services import accounts, agencies, concerns, council, districts, households


def counts(store):
    with store.read() as s:
        return (
            s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one(),
            s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one(),
        )


def member(store, household_id):
    return households.get_household(store, household_id, log=False).members[0].id


WRITES = {
    # name: (call, rows written)
    "add_district": (lambda st, d, h: districts.add_district(st, "下町"), 1),
    "rename_district": (lambda st, d, h: districts.rename_district(st, d, "上町一区"), 1),
    "add_household": (lambda st, d, h: households.add_household(st, d, "佐藤 一", "サトウ ハジメ"), 2),
    "update_household": (lambda st, d, h: households.update_household(st, h, phone="0000-11-2222", notes="変更"), 1),
    "add_person": (lambda st, d, h: households.add_person(st, h, "山田 次郎", relation="子"), 1),
    "update_person": (lambda st, d, h: households.update_person(st, member(st, h), wishes="家で暮らしたい"), 1),
    "save_household": (lambda st, d, h: households.save_household(
        st, h, {"notes": "編集"}, [{"id": member(st, h), "name": "山田 はな子"}, {"name": "山田 孫", "relation": "孫"}]), 3),
    "add_agency": (lambda st, d, h: agencies.add_agency(st, "架空地域包括支援センター", field="高齢"), 1),
    "add_concern": (lambda st, d, h: concerns.add_concern(st, "移動・交通"), 1),
    "update_settings": (lambda st, d, h: council.update_settings(st, idle_lock_minutes=5), 1),
    "add_account": (lambda st, d, h: accounts.add_account(st, "tanaka", "田中 二郎", "staff", "tanaka pass", kdf=FAST_KDF), 1),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_write_logs_change_and_audit(store, district, name):
    household_id = households.add_household(store, district, "山田 花子", "ヤマダ ハナコ")
    call, rows = WRITES[name]
    before = counts(store)
    call(store, district, household_id)
    after = counts(store)
    assert after[0] - before[0] == rows
    assert after[1] - before[1] == rows


def test_change_log_carries_fields_and_identity(store, district):
    household_id = households.add_household(store, district, "山田 花子", "ヤマダ ハナコ", phone="0000-00-0001")
    households.update_household(store, household_id, phone="0000-00-0002")
    with store.read() as s:
        changes = changes_codec.rows(s.connection(), ChangeLog.entity_id == household_id, order_by=(ChangeLog.seq,))
    assert [c.op for c in changes] == ["insert", "update"]
    assert changes[0].fields["phone"] == "0000-00-0001" and changes[1].fields == {"phone": "0000-00-0002"}
    assert changes[1].seq == changes[0].seq + 2  # the member's insert came between
    assert changes[1].hlc > changes[0].hlc
    assert changes[1].staff_id == store.actor.staff_id
    assert changes[1].base == {f"{changes[0].origin_device}:{changes[0].epoch}": changes[0].seq}


def test_unchanged_update_writes_nothing(store, district):
    household_id = households.add_household(store, district, "山田 花子", phone="0000-00-0001")
    before = counts(store)
    assert households.update_household(store, household_id, phone="0000-00-0001") == {}
    assert counts(store) == before


def test_bad_input_changes_nothing(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    before = counts(store)
    for bad in ({"phone": "電話して"}, {"flags": ["存在しない特徴"]}, {"watch_interval_days": "-3"}, {"colour": "red"}):
        with pytest.raises(InvalidInput):
            households.update_household(store, household_id, **bad)
    with pytest.raises(InvalidInput):
        households.add_household(store, district, "   ")
    assert counts(store) == before


def test_failure_mid_write_rolls_everything_back(store, district, monkeypatch):
    before = counts(store)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_module, "keyed_hash", broken)
    with pytest.raises(StoreError) as err:
        households.add_household(store, district, "山田 花子")
    assert "保存されていません" in err.value.message
    monkeypatch.undo()
    assert counts(store) == before
    with store.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Household)).scalar_one() == 0
        assert s.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one() == 0


def test_disk_full_rolls_back(store, district):
    """SQLite reports a full disk when the database may not grow: the write is undone."""
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    before = counts(store)

    def cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    sa.event.listen(store.engine, "connect", cap)
    store.engine.dispose()
    with pytest.raises(StoreError) as err:
        households.add_household(store, district, "山田 花子", notes="長いメモ" * 990)
    assert "空き容量" in err.value.message
    assert "full" in str(err.value.__cause__)
    sa.event.remove(store.engine, "connect", cap)
    store.engine.dispose()
    assert counts(store) == before
