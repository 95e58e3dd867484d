"""A retention purge made at the office reaches a laptop through a real bundle: the laptop's
rows become the same tombstones, its copy of the history is blanked, and both stores check."""

from datetime import date

from shakyo_desk.store.check import check_store
from shakyo_desk.store.services import districts, households, retention
from tests.store.test_retention import SECRET, TODAY, _all_text, closed_case
from tests.sync.council import carry, enrol, make_office


def _row(store, table, row_id):
    with store.engine.connect() as conn:
        row = dict(conn.exec_driver_sql(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).mappings().one())
    assert row.pop("deleted_at") is not None  # when each device made its tombstone
    return row


def test_purge_travels_to_the_laptop(tmp_path):
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    old = closed_case(office, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
    kept = closed_case(office, district, "架空 残子", "カクウ ノココ", date(2025, 6, 1), note="残るメモ")
    laptop = enrol(office, tmp_path, "laptop")
    try:
        assert SECRET in _all_text(laptop)
        retention.purge_households(office, [old], TODAY)
        _, report = carry(office, laptop, tmp_path / "usb")
        assert not report.refused and report.applied >= 6
        text = _all_text(laptop)
        assert SECRET not in text and "架空 古子" not in text and "カクウ フルコ" not in text
        assert "残るメモ" in text and "架空 残子" in text
        assert _row(laptop, "household", old) == _row(office, "household", old)  # the same tombstone
        assert old not in {r.id for r in households.list_households(laptop, "")}
        assert households.list_households(laptop, "フルコ") == []
        with laptop.engine.connect() as conn:
            indexed = set(conn.exec_driver_sql("SELECT household_id FROM household_search").scalars())
        assert old not in indexed and kept in indexed  # the received purge dropped its index row
        assert kept in {r.id for r in households.list_households(laptop, "")}
        assert check_store(office).sound and check_store(laptop).sound
        # and back: the laptop's next bundle changes nothing at the office
        _, back = carry(laptop, office, tmp_path / "usb2")
        assert not back.refused and SECRET not in _all_text(office)
        assert check_store(office).sound
    finally:
        laptop.close()
        office.close()
