"""Screenshots for the 操作ガイド (``docs/ja``): the demo village (みどり村, all fictional) is
generated with a fixed seed, opened offscreen, and each screen is driven with real widget
actions (typing, ticking, clicking) to the state a page of the guide shows. The PNGs are
saved under stable names that the Markdown pages use.

Run ``python docs/ja/make_screenshots.py`` after a screen changes (see docs/architecture.md);
``tests/ui/test_guide.py`` runs it into a temporary folder. Dates follow today: the demo is
generated relative to today, so screens that show dates change from day to day, nothing else.
Nothing here needs pytest."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from shakyo_desk.domain import clock

SEED = 7  # the demo village's seed: the same households, names and records every run
WINDOW_SIZE = (1366, 728)  # the main window maximised on a council laptop: 1366×768 less its task bar
MAX_COLOURS = 256  # PNGs are quantised to a palette: small files, text stays sharp

# name → (guide page, what it shows); the Markdown uses these names
SHOTS = {
    "main_window": ("README.md", "the main window: navigation on the left, the 世帯 page"),
    "import_mapping": ("import.md", "名簿を取り込む, step 1: the file's columns and what each one fills"),
    "import_preview": ("import.md", "名簿を取り込む, step 2: every row checked, problems by row, nothing imported yet"),
    "visit_watch": ("visits.md", "見守り予定: households due this week"),
    "visit_entry": ("visits.md", "the quick 訪問記録 entry, filled in"),
    "visit_entry_saved": ("visits.md", "the entry after saving (ready for the next one)"),
    "visit_list": ("visits.md", "the 訪問記録 page"),
    "salon_page": ("salons.md", "the サロン page with a salon and its past sessions"),
    "salon_session": ("salons.md", "a session: attendance ticked, unnamed count, a remark"),
    "sheet_form": ("sheets.md", "a reporter's 把握シート, filled in"),
    "sheet_reporter_list": ("sheets.md", "a reporter's own sheets"),
    "sheet_inbox": ("sheets.md", "the coordinator's inbox"),
    "sheet_detail": ("sheets.md", "one sheet: contents, history, status buttons, referrals"),
    "sheet_status": ("sheets.md", "changing the status to つないだ"),
    "sync_exported": ("sync.md", "after writing a bundle to the USB stick"),
    "sync_import_summary": ("sync.md", "the summary after importing a laptop's bundle"),
    "sync_page": ("sync.md", "the 同期 page at the office after the import"),
    "sync_conflict": ("sync.md", "要確認: both values side by side"),
    "handout_panel": ("handouts.md", "the 会議資料 tab of a 支援会議"),
    "handout_consent_missing": ("handouts.md", "refused: consent missing for a 重層的支援会議"),
    "handout_register": ("handouts.md", "the 配布資料 register"),
    "community_map": ("community.md", "地域 › 支え合いマップ of the 集落 with most households on it"),
    "community_supporters": ("community.md", "地域 › 担い手: the register and the count against the target"),
    "community_issues": ("community.md", "地域 › 地域課題: status, evidence counts and the response"),
    "stats_summary": ("stats.md", "統計: this 年度 against the last"),
    "stats_table": ("stats.md", "統計: a table with small counts marked"),
    "backup_banner": ("backup.md", "the reminder and the 設定 page before the first backup"),
    "backup_done": ("backup.md", "the message after a backup"),
    "lost_laptop": ("lost-laptop.md", "the 同期 page with the laptop selected, ready for 利用停止…"),
    "lost_laptop_revoked": ("lost-laptop.md", "the message after 利用停止"),
}


# ---- saving ---------------------------------------------------------------------------------

def settle(ms: int = 30) -> None:
    """Let pending layout and paint requests run, as the event loop would."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def png_bytes(widget) -> bytes:
    """The widget as an optimised palette PNG (Pillow)."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    settle()
    widget.repaint()
    image = widget.grab().toImage()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    picture = picture.quantize(colors=MAX_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


class Shooter:
    def __init__(self, folder: Path, only: set[str] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.only = only
        self.saved: list[Path] = []

    def __call__(self, widget, name: str) -> None:
        assert name in SHOTS, name
        if self.only and name not in self.only:
            return
        path = self.folder / f"{name}.png"
        path.write_bytes(png_bytes(widget))
        self.saved.append(path)


# ---- helpers ---------------------------------------------------------------------------------

@contextmanager
def replaced(owner, name: str, value) -> Iterator[None]:
    """A file dialog or a question answered by the script for the length of one step."""
    old = owner.__dict__.get(name, getattr(owner, name))
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def click(widget) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    assert widget.isEnabled(), widget.text()
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    settle(10)


def type_text(widget, text: str) -> None:
    """ASCII through key presses, Japanese through the input method's commit."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest

    widget.setFocus()
    chunk = ""
    for ch in text + "\0":
        if ch != "\0" and ch.isascii():
            chunk += ch
            continue
        if chunk:
            QTest.keyClicks(widget, chunk)
            chunk = ""
        if ch != "\0":
            event = QInputMethodEvent("", [])
            event.setCommitString(ch)
            QCoreApplication.sendEvent(widget, event)


def make_ctx(store, work: Path, role_demo: bool = False):
    from PySide6.QtCore import QSettings

    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.ui.context import AppContext
    from shakyo_desk.ui.uisettings import UiSettings
    from shakyo_desk.ui.worker import SyncExecutor

    settings = UiSettings(QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat))
    # demo=False: the red 「デモ用の架空データです」 strip would be on every picture of the guide
    return AppContext(store=store, executor=SyncExecutor(), ui_settings=settings, council=get_settings(store),
                      kdf=FAST_KDF, demo=role_demo)


def open_window(ctx):
    from shakyo_desk.ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(*WINDOW_SIZE)
    window.show()
    settle()
    return window


def close_window(window) -> None:
    window.idle.stop()
    for child in window.findChildren(QDialogType()):
        child.done(0)
    window.close()
    window.deleteLater()
    settle(10)


def QDialogType():  # noqa: N802 - a type, imported late (no Qt at import time)
    from PySide6.QtWidgets import QDialog

    return QDialog


def row_of(table, column: int, text: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, column) and table.item(r, column).text() == text)


# ---- the guide's screens ------------------------------------------------------------------------

def make_screenshots(folder: Path, work: Path, only: set[str] | None = None) -> list[Path]:
    """Generate the demo village in ``work`` and save the guide's PNGs into ``folder``."""
    from shakyo_desk import demo
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui import dialogs

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    root = work / "village"
    if root.exists():
        shutil.rmtree(root)
    shoot = Shooter(folder, only)
    store, _key = demo.generate(root, "village", seed=SEED, kdf=FAST_KDF)
    store.close()
    with replaced(dialogs, "confirm", lambda *_a, **_k: True):
        reporter = unlock(root, "reporter1", demo.DEMO_PASSPHRASE)
        try:
            reporter_screens(shoot, make_ctx(reporter, work))
        finally:
            reporter.close()
        store = unlock(root, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
        try:
            ctx = make_ctx(store, work)
            window = open_window(ctx)
            backup_screens(shoot, ctx, window, work)
            window.show_page("households")
            shoot(window, "main_window")
            import_screens(shoot, ctx, window, work)
            visit_screens(shoot, ctx, window)
            salon_screens(shoot, ctx, window)
            sheet_screens(shoot, ctx, window)
            handout_screens(shoot, ctx, window)
            community_screens(shoot, ctx, window)
            stats_screens(shoot, ctx, window)
            sync_screens(shoot, ctx, window, work)
            close_window(window)
        finally:
            if store.is_open:
                store.close()
    return shoot.saved


def backup_screens(shoot: Shooter, ctx, window, work: Path) -> None:
    from shakyo_desk.ui import backup_actions

    window.show_page("settings")
    settle()
    assert window.backup_banner.isVisible()
    shoot(window, "backup_banner")
    target = work / "usb-backup"
    target.mkdir(exist_ok=True)
    path = target / "みどり村社会福祉協議会_バックアップ.shakyo-backup"
    with replaced(backup_actions, "ask_backup_file", lambda *_a, **_k: str(path)):
        click(window.backup_banner.button)
    box = window.backup_runner.message_box
    assert box is not None and "確かめました" in box.text(), box.text() if box else None
    shoot(box, "backup_done")
    box.done(0)
    settle()


def elderly_list(folder: Path, districts: list[str]) -> Path:
    """A small hand-made 一人暮らし高齢者名簿 as councils keep them (fictional people): a title row,
    和暦 and 西暦 birth dates, full-width digits, a blank row, and three rows with a problem."""
    import openpyxl

    first, second = districts[0], districts[1]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "一人暮らし高齢者"
    for row in (
        ["令和7年度 一人暮らし高齢者名簿（みどり村・架空）"],
        ["氏名", "ふりがな", "生年月日", "電話番号", "地区", "住所", "備考"],
        ["青柳 トメ", "あおやぎ とめ", "S10.4.3", "０２６７－９９－１２０１", first, f"みどり村大字{first}101番地", "膝が悪い"],
        ["石倉 ハル", "イシクラ ハル", "昭和12年8月20日", "0267-99-1202", first, f"みどり村大字{first}102番地", None],
        ["上原 キク", "ウエハラ キク", "1940/1/15", "0267-99-1203", second, f"みどり村大字{second}201番地", None],
        [],
        ["江口 シズ", "エグチ シズ", "昭和9年2月30日", "0267-99-1204", second, f"みどり村大字{second}202番地", None],
        ["大塚 マツ", "オオツカ マツ", "S16.11.2", "0267-99-120", first, f"みどり村大字{first}103番地", "娘が隣町"],
        ["小野 ヨシ", "オノ ヨシ", "S11.6.9", "0267-99-1206", "星見台", "みどり村大字星見台1番地", None],
        ["片桐 イネ", "かたぎり 稲", "T15.3.1", None, second, f"みどり村大字{second}203番地", "電話なし"],
    ):
        sheet.append(row)
    sheet.merge_cells("A1:G1")
    for column, width in zip("ABCDEFG", (12, 16, 16, 16, 12, 28, 12)):
        sheet.column_dimensions[column].width = width
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "一人暮らし高齢者名簿.xlsx"
    workbook.save(path)
    return path


def import_screens(shoot: Shooter, ctx, window, work: Path) -> None:
    """名簿を取り込む from the 世帯 page: the columns as guessed, then the check with problems
    by row. Nothing is imported (the dialog is closed before 「取り込む」)."""
    from shakyo_desk.store.services.districts import list_districts

    names = [d.name for d in list_districts(ctx.store)]
    unique = [n for n in names if names.count(n) == 1]
    path = elderly_list(work / "名簿", unique)
    page = window.show_page("households")
    settle()
    click(page.import_button)
    dialog = page.import_dialog
    dialog.ask_file = lambda: str(path)
    dialog.resize(980, 700)
    click(dialog.choose_button)
    settle()
    assert dialog.table_data is not None and dialog.check_button.isEnabled()
    dialog.path.setText(r"E:\名簿\一人暮らし高齢者名簿.xlsx")  # as on a council's PC, not the temporary folder
    shoot(dialog, "import_mapping")
    click(dialog.check_button)
    settle()
    preview = dialog.preview
    assert preview is not None and preview.problem_rows == 3 and preview.ready_rows == 4, preview
    assert not dialog.apply_button.isEnabled()
    shoot(dialog, "import_preview")
    dialog.reject()
    settle()


def visit_screens(shoot: Shooter, ctx, window) -> None:
    from shakyo_desk.ui.contact_entry import ContactEntryDialog

    page = window.show_page("watch")
    settle()
    assert page.rows, "the demo village has households due"
    page.table.selectRow(0)
    shoot(window, "visit_watch")
    due = page.rows[0]
    window.new_contact()
    entry = next(d for d in window.findChildren(ContactEntryDialog) if d.isVisible())
    type_text(entry.household, due.head_name.split()[0] if " " in due.head_name else due.head_name)
    entry.run_search()
    entry.completer.popup().hide()
    entry.set_household(due.household_id, "　".join(x for x in (due.head_name, due.district, due.address) if x))
    entry.contact_time.setText("10:30")
    entry.method.set_value("訪問")
    entry.companions.set_checked(["民生委員"])
    type_text(entry.seen_heard, "玄関先で10分ほど話す。表情は明るいが、膝が痛くて買い物に行けないと話す。")
    entry.seen_heard.insertPlainText("\n冷蔵庫の中が少なかった。配食サービスの話をすると「考えてみる」とのこと。")
    entry.concerns.set_checked(["介護", "病気・健康"])
    entry.urgency.setCurrentIndex(2)
    entry.isolation.setCurrentIndex(1)
    entry.next_action.setText("地域包括支援センターに配食サービスのことを相談する")
    entry._set_next(("d", 14))
    shoot(entry, "visit_entry")
    entry.save()
    shoot(entry, "visit_entry_saved")
    entry.done(0)
    window.show_page("contacts")
    settle()
    shoot(window, "visit_list")


def salon_screens(shoot: Shooter, ctx, window) -> None:
    from shakyo_desk.ui.salon_session import SalonSessionDialog

    page = window.show_page("salons")
    settle()
    counts = [s.regular_count for s in page.salons]
    page.table.selectRow(counts.index(max(counts)))
    settle()
    if page.sessions:
        page.sessions_table.selectRow(0)
        for row in range(page.sessions_table.rowCount()):
            if page.sessions[row].remarks:
                page.sessions_table.selectRow(row)
                break
    shoot(window, "salon_page")
    dialog = SalonSessionDialog(ctx, page.current_salon(), page.regulars, parent=window)
    dialog.show()
    for i, check in enumerate(dialog.checks):
        check.setChecked(i % 5 != 2)
    dialog.unnamed.setValue(2)
    dialog.activities.setText("体操、お茶会、歌")
    dialog.add_remark("灯油が高くてストーブを控えている",
                      dialog.checks[1].regular.person_id if len(dialog.checks) > 1 else None)
    dialog.resize(1060, 720)
    shoot(dialog, "salon_session")
    dialog.done(0)


def reporter_screens(shoot: Shooter, ctx) -> None:
    window = open_window(ctx)
    page = window.show_page("sheets")
    settle()
    form = page.new_sheet()
    settle()
    type_text(form.hint, "上町の郵便局の向かい、青い屋根の家")
    type_text(form.person, "一人暮らしの男性（80代）")
    for name in ("孤立", "病気・健康"):
        form.concern_boxes[name].click()
    form.urgency.buttons["早め"].setChecked(True)
    type_text(form.situation, "ヘルパーの訪問先の近所の方。最近、庭の手入れがされておらず、新聞がたまっている。"
                              "声をかけると「大丈夫」と言うが、やせたように見えた。")
    form.resize(1060, 720)
    shoot(form, "sheet_form")
    form.save()  # closes the form (it deletes itself)
    settle()
    page.refresh()
    settle()
    shoot(window, "sheet_reporter_list")
    close_window(window)


def sheet_screens(shoot: Shooter, ctx, window) -> None:
    from shakyo_desk.ui.sheet_detail import StatusDialog

    page = window.show_page("sheets")
    settle()
    shoot(window, "sheet_inbox")
    assert page.inbox_rows
    sheet = next((s for s in page.rows if s.status == "つないだ" and s.household_id), page.inbox_rows[0])
    detail = page.open_sheet(sheet.id)
    settle()
    detail.resize(1000, 980)
    shoot(detail, "sheet_detail")
    status = StatusDialog(detail.sheet, "つないだ", detail.agencies, detail)
    status.show()
    shoot(status, "sheet_status")
    status.done(0)
    detail.done(0)


def handout_screens(shoot: Shooter, ctx, window) -> None:
    from shakyo_desk.reports.handouts import check_handout
    from shakyo_desk.store.services import conferences

    store = ctx.store
    rows = conferences.list_conferences(store)
    ready = next(r for r in rows if r.meeting_type == "support" and check_handout(store, r.id).ok and r.case_count > 1)
    refused = next(r for r in rows if check_handout(store, r.id).missing_consent)
    page = window.show_page("conferences")
    settle()
    page.open_conference(ready.id)
    editor = page.editor
    editor.show_tab("会議資料")
    settle()
    shoot(editor, "handout_panel")
    editor.reject()
    page.open_conference(refused.id, tab="会議資料")
    editor = page.editor
    editor.handout.show_refusal()
    settle()
    shoot(editor.handout.refusal, "handout_consent_missing")
    editor.handout.refusal.reject()
    editor.reject()
    window.show_page("handouts")
    settle()
    shoot(window, "handout_register")


def community_screens(shoot: Shooter, ctx, window) -> None:
    """The 地域 page: the map of the 集落 with most households on it, the 担い手 register and the
    地域課題 register."""
    from shakyo_desk.store.services.support_map import build_map

    page = window.show_page("community")
    tab = page.show_tab("支え合いマップ")
    settle(20)
    from shakyo_desk.store.services.districts import list_districts

    shuraku = [d.id for d in list_districts(ctx.store) if d.parent_id]  # a 懇談会's map: one 集落
    sizes = {d: len(build_map(ctx.store, d).households) for d in shuraku}
    tab.district.setCurrentIndex(tab.district.findData(max(sizes, key=sizes.get)))
    settle(40)
    assert tab.scene is not None and tab.map.households, "the demo village has a network"
    shoot(window, "community_map")
    page.show_tab("担い手")
    settle(20)
    shoot(window, "community_supporters")
    page.show_tab("地域課題")
    settle(20)
    shoot(window, "community_issues")


def stats_screens(shoot: Shooter, ctx, window) -> None:
    page = window.show_page("stats")
    settle(60)
    shoot(window, "stats_summary")
    page.tabs.setCurrentIndex(2)
    tables = page.view.shown.tables[1:]
    marked = [sum(1 for row in page.view.marks.get(t.key) or () for mark in row if mark) for t in tables]
    page.table_list.setCurrentRow(marked.index(max(marked)))  # the table with most small counts marked
    settle()
    shoot(window, "stats_table")


def sync_screens(shoot: Shooter, ctx, window, work: Path) -> None:
    """A laptop joins from the demo office, writes a visit and changes a phone number the office
    changed too; its bundle comes back on a 'USB stick'."""
    from PySide6.QtWidgets import QFileDialog

    from shakyo_desk.store.exchange import devices
    from shakyo_desk.store.exchange.exporting import export_bundle
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import contacts, households

    office = ctx.store
    enrolment = work / "enrol" / "田中さんのノートPC.shakyo"
    enrolment.parent.mkdir(parents=True, exist_ok=True)
    code = devices.add_device(office, "田中さんのノートPC", enrolment, kdf=FAST_KDF)
    laptop, _ = devices.join(work / "laptop", enrolment, code, "coordinator1", "laptop passphrase 1", kdf=FAST_KDF)
    try:
        rows = households.list_households(laptop, "", None, 50)
        chosen = next(r for r in rows if r.phone)
        contacts.add_contact(laptop, household_id=chosen.id, contact_date=clock.today() - timedelta(days=1),
                             method="訪問", contact_time="14:00",
                             seen_heard="畑仕事をしていた。元気そう。電話番号が変わったと聞いた。",
                             next_contact_date=clock.today() + timedelta(days=30))
        households.update_household(laptop, chosen.id, phone="0000-45-6789")
        households.update_household(office, chosen.id, phone="0000-45-1111")
        stick = work / "ノートPC" / "USBメモリ"
        stick.mkdir(parents=True, exist_ok=True)
        bundle = export_bundle(laptop, stick, for_device="事務局").path
    finally:
        laptop.close()

    page = window.show_page("sync")
    settle()
    with replaced(QFileDialog, "getOpenFileNames", staticmethod(lambda *_a, **_k: ([str(bundle)], ""))):
        click(page.import_button)
    settle()
    shoot(page.summary, "sync_import_summary")
    page.summary.close()
    office_stick = work / "事務局" / "USBメモリ"
    office_stick.mkdir(parents=True, exist_ok=True)
    with replaced(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: str(office_stick))):
        click(page.export_button)
    settle()
    shoot(page.message, "sync_exported")
    page.message.close()
    page.refresh()
    settle()
    shoot(window, "sync_page")
    conflicts_page = window.show_page("conflicts")
    settle()
    assert conflicts_page.table.rowCount(), "the phone number changed on both sides"
    conflicts_page.table.setCurrentCell(0, 0)
    settle()
    shoot(window, "sync_conflict")

    page = window.show_page("sync")
    settle()
    page.devices_table.selectRow(row_of(page.devices_table, 0, "田中さんのノートPC"))
    settle()
    shoot(window, "lost_laptop")
    click(page.revoke_button)  # the question is answered 「利用停止にする」 by the script
    settle()
    shoot(page.message, "lost_laptop_revoked")
    page.message.close()


def run(folder: Path, work: Path | None = None, only: set[str] | None = None,
        report: Callable[[str], None] = print) -> list[Path]:
    """The CLI's body: a QApplication offscreen, the Japanese setup, then the screens."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtWidgets import QApplication

    from shakyo_desk.ui.style import setup_application

    app = QApplication.instance() or QApplication([])
    setup_application(app)
    app.setQuitOnLastWindowClosed(False)
    cleanup = work is None
    work = Path(work or tempfile.mkdtemp(prefix="shakyo-guide-"))
    try:
        saved = make_screenshots(folder, work, only)
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)
    for path in saved:
        report(f"{path.name}\t{path.stat().st_size // 1024} KB")
    return saved
