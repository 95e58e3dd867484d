"""地域課題 register (issue 19) through the real widgets: the tab's evidence counts, the detail
dialog (status and response saved; cases shown without a household name), 「印刷用PDF…」 written
and audited, the read-only register of a staff member, the 地域 page's two tabs, and a case's
missing resource linked to a 地域課題 from the プラン tab and shown on the case."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.domain import clock
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import activities, case_plans, cases, community_issues
from shakyo_desk.ui.case_detail import CaseDetailDialog
from shakyo_desk.ui.case_dialogs import LinkResourceDialog
from shakyo_desk.ui.community_issues_tab import CommunityIssuesPanel, IssueDetailDialog
from shakyo_desk.ui.pages.community import CommunityPage
from tests.ui.helpers import type_text


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def evidence(ctx, village):
    """冬の移動手段がない: shown by 山田's case (its plan's missing resource and its closure) and a 懇談会."""
    today = clock.today()
    case = cases.open_case(ctx.store, village["households"]["yamada"])
    case_plans.add_goal(ctx.store, case, "通院できる", today + timedelta(days=30), missing=["冬の送迎がない"])
    [resource] = community_issues.case_resources(ctx.store, case)
    issue = community_issues.raise_from_resource(ctx.store, resource.id, "冬の移動手段がない")
    activities.add_activity(ctx.store, "地域懇談会", today, "上町 地域懇談会", district_id=village["districts"]["kami"],
                            issue_ids=[issue])
    cases.close_case(ctx.store, case, "転居", "家族と暮らす", community_issue="冬の移動手段がない")
    return {"case": case, "issue": issue, "resource": resource.id}


@pytest.fixture
def panel(qtbot, ctx, village):
    panel = CommunityIssuesPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 600)
    panel.show()
    panel.refresh()
    return panel


def test_the_register_with_its_evidence_and_status(qtbot, ctx, evidence, panel):
    assert panel.table.rowCount() == 1
    row = [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    assert row[1:7] == ["冬の移動手段がない", "上町", "1件", "1件", "1件", "把握"]
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # Enter: the detail
    detail = panel.detail
    assert isinstance(detail, IssueDetailDialog)
    cases_shown = [detail.cases.item(i).text() for i in range(detail.cases.count())]
    assert len(cases_shown) == 1 and cases_shown[0].startswith("上町のケース") and "終結" in cases_shown[0]
    assert "山田" not in "".join(cases_shown)
    assert "地域懇談会　上町 地域懇談会" in detail.activities.item(0).text()
    assert detail.resources.item(0).text().startswith("冬の送迎がない（上町・")
    detail.status.setCurrentText("取組中")
    type_text(qtbot, detail.response, "町と乗合タクシーの冬季運行を協議")
    qtbot.mouseClick(detail.save_button, Qt.MouseButton.LeftButton)
    assert detail.result() == QDialog.DialogCode.Accepted, detail.errors.text()
    assert panel.table.item(0, 6).text() == "取組中" and panel.table.item(0, 7).text() == "町と乗合タクシーの冬季運行を協議"
    [issue] = community_issues.list_issues(ctx.store)
    assert (issue.status, issue.response) == ("取組中", "町と乗合タクシーの冬季運行を協議")


def test_the_printable_register_is_written_and_audited(qtbot, ctx, evidence, panel, tmp_path):
    before = counts(ctx.store)
    panel.export_pdf(ask_path=lambda _parent, _suggested: str(tmp_path / "地域課題"))
    written = tmp_path / "地域課題.pdf"
    assert "保存しました" in panel.status.text() and panel.pdf_button.isEnabled()
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(written.read_bytes())).pages)
    assert "地域課題の一覧" in text and "冬の移動手段がない" in text and "ケース1件・地域活動1件・不足資源1件" in text
    assert "山田" not in text
    assert counts(ctx.store)[1] == before[1] + 1  # one audit entry: the export
    with ctx.store.read() as s:
        assert s.execute(sa.select(AuditLog.action).order_by(AuditLog.id.desc()).limit(1)).scalar_one() == \
            "community_issues_pdf.export"
    panel.export_pdf(ask_path=lambda _parent, _suggested: "")  # cancelled: nothing written, nothing logged
    assert counts(ctx.store)[1] == before[1] + 1


def test_a_staff_member_reads_the_register(qtbot, ctx, evidence, village, store_dir, executor, ui_settings):
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui.context import AppContext

    accounts.add_account(ctx.store, "sato", "佐藤 美咲", "staff", "correct horse 2",
                         district_ids=[village["districts"]["south"]], kdf=FAST_KDF)
    staff = unlock(store_dir, "sato", "correct horse 2")
    try:
        mine = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff))
        panel = CommunityIssuesPanel(mine)
        qtbot.addWidget(panel)
        panel.show()
        panel.refresh()
        assert panel.table.rowCount() == 1 and not panel.add_box.isVisible()
        panel.table.selectRow(0)
        detail = panel.open_selected()
        assert detail.save_button is None and not detail.status.isEnabled()
        assert detail.cases.item(0).text() == "（まだありません）" and "担当外の地区の 1件" in detail.cases.item(1).text()
        detail.done(0)
    finally:
        staff.close()


def test_the_community_page_has_both_tabs(qtbot, ctx, evidence):
    page = CommunityPage(ctx)
    qtbot.addWidget(page)
    page.show()
    register = page.show_tab("地域課題")
    assert isinstance(register, CommunityIssuesPanel) and register.table.rowCount() == 1
    assert page.show_tab("地域活動").table.rowCount() == 1


def test_a_missing_resource_linked_from_the_case(qtbot, ctx, village):
    today = clock.today()
    case = cases.open_case(ctx.store, village["households"]["suzuki"])
    case_plans.add_goal(ctx.store, case, "買い物ができる", today + timedelta(days=30), missing=["移動販売がない"])
    community_issues.add_issue(ctx.store, "買い物難民")
    detail = CaseDetailDialog(ctx, case)
    qtbot.addWidget(detail)
    detail.show()
    assert detail.link_button.isVisible() and detail.link_button.isEnabled()
    assert detail.missing.text() == "不足している社会資源：移動販売がない"
    dialog = detail.link_resource()
    assert isinstance(dialog, LinkResourceDialog) and dialog.issue.currentData() == LinkResourceDialog.NEW
    before = counts(ctx.store)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no title: refused, nothing changed
    assert "題名" in dialog.errors.text() and counts(ctx.store) == before
    type_text(qtbot, dialog.title, "冬の移動手段がない")
    qtbot.keyClick(dialog.title, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.errors.text()
    assert detail.missing.text() == "不足している社会資源：移動販売がない（地域課題：冬の移動手段がない）"
    again = detail.link_resource()
    again.issue.setCurrentIndex(again.issue.findText("買い物難民"))
    assert not again.title.isEnabled()
    qtbot.mouseClick(again.ok_button, Qt.MouseButton.LeftButton)
    assert again.result() == QDialog.DialogCode.Accepted, again.errors.text()
    assert "（地域課題：冬の移動手段がない、買い物難民）" in detail.missing.text()
    [_mine] = [i for i in community_issues.list_issues(ctx.store) if i.title == "冬の移動手段がない"]
    assert _mine.district_id == village["districts"]["south"] and _mine.resource_count == 1
    with ctx.store.read() as s:  # synced: each link is in the change log
        assert s.execute(sa.select(sa.func.count()).select_from(ChangeLog)
                         .where(ChangeLog.entity == "community_issue_resource")).scalar_one() == 2
    detail.done(0)
