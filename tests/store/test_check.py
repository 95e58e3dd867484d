from shakyo_desk.store.check import check_store
from shakyo_desk.store.services import households


def test_fresh_store_with_writes_is_sound(store, district):
    household_id = households.add_household(store, district, "山田 花子", "ヤマダ ハナコ")
    households.update_household(store, household_id, address="架空村上町2")
    report = check_store(store)
    assert report.sound, report.problems
    assert report.counts["household"] == 1 and report.counts["changes"] >= 3


def test_edited_audit_row_is_detected(store, district):
    households.add_household(store, district, "山田 花子")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET login = 'someone' WHERE id = 2")
    report = check_store(store)
    assert not report.sound
    assert any("監査ログ" in p and "2" in p for p in report.problems)


def test_deleted_audit_row_is_detected(store, district):
    households.add_household(store, district, "山田 花子")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 3")
    assert any("監査ログ" in p for p in check_store(store).problems)


def test_row_changed_behind_the_write_path_is_detected(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET phone = '0000-99-9999'")
    problems = check_store(store).problems
    # (change log v2: the insert is derived from the row, so the origin chain, recomputed through
    # the row as it is now, is what tells: the field itself cannot be named any more)
    assert any(household_id in p and "作成時の記録と一致しません" in p for p in problems)


def test_missing_change_log_entry_is_detected(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM change_log WHERE entity_id = ?", (household_id,))
    problems = check_store(store).problems
    assert any("変更履歴にない" in p for p in problems)
    assert any("欠番" in p for p in problems)
