"""統計 page with the community side (issue 19): its tables are listed after the case work with
their known counts; a coordinator sees small counts tinted, staff see them hidden."""

from PySide6.QtCore import Qt

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages.stats import PRIMARY_TINT
from tests.store.conftest import login_as
from tests.store.test_stats_community import TODAY, _on_today, data  # noqa: F401 (fixtures)
from tests.ui.test_stats_page import cell, open_page, pick_table


def test_the_community_tables_are_listed_with_their_counts(qtbot, ctx, data):  # noqa: F811
    page = open_page(qtbot, ctx, year=2024)
    titles = [page.table_list.item(i).text() for i in range(page.table_list.count())]
    assert titles[-6:] == ["地区別の支え合いの関係", "支え合いの関係（種類別）", "支え合いの関係がない世帯（地区別）",
                           "地区別の担い手（目標との比較）", "地域活動（種類別）", "地域課題とその根拠"]
    pick_table(page, "地区別の支え合いの関係")
    assert [cell(page.table_view, "計", c) for c in (1, 2, 3, 4)] == ["3", "3", "2", "1"]
    tint = cell(page.table_view, "北地区", 1, Qt.ItemDataRole.BackgroundRole)
    assert tint is not None and tint.color().name() == PRIMARY_TINT  # 2 ties: hidden in exports
    pick_table(page, "地区別の担い手（目標との比較）")
    assert [cell(page.table_view, "北地区", c) for c in (1, 4)] == ["2", "7"]
    pick_table(page, "地域課題とその根拠")
    assert [cell(page.table_view, "冬の雪かき（把握）", c) for c in (1, 2, 3)] == ["1", "1", "1"]


def test_staff_see_the_suppressed_counts(qtbot, store, executor, ui_settings, data):  # noqa: F811
    staff = login_as(store, "staff-south", role="staff", district_ids=[data["south"]])
    try:
        ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff),
                         kdf=FAST_KDF)
        page = open_page(qtbot, ctx, year=2024)
        pick_table(page, "地区別の支え合いの関係")
        assert [cell(page.table_view, "南地区", c) for c in (1, 2, 3, 4)] == ["<3", "<3", "<3", "0"]
    finally:
        staff.close()
