"""保存期間を過ぎた記録 (admin): households closed longer than the council's retention period,
ticked and erased after a typed confirmation. Erasure cannot be undone and reaches every
device at the next sync (store/services/retention.py)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import retention
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CONFERENCE, CONTACT, HOUSEHOLD, PURGE, SALON, SETTINGS, SHEET, keep_fresh, on
from shakyo_desk.ui.labels import hint_label
from shakyo_desk.ui.widgets import Column, fill_table, make_table, roomy_checks, table_or_empty
from shakyo_desk.ui.worker import LatestOnly

COLUMNS = ("世帯主", "住所", "地区", "最後の記録", "状態", "消去する記録", "世帯番号")
# Whom (the head, where they live) and what goes stay; the number, then the state give way.
FIT = (Column("佐々木 花子", 130, drop=0), Column("小海町大字豊里1234番地", 220, stretch=True),
       Column("北山地区", 100), Column("令和元年12月31日", 140), Column("削除済み", 80, drop=2),
       Column("世帯員2人・訪問記録12件", 260, stretch=True), Column("H-0000ABCD", 120, drop=3))
CONFIRM_WORD = "削除"
OK_COLOUR = "#2f6b3a"
UNIT = {"世帯員": "人"}  # other kinds are counted in 件


def kind_text(kinds, *, household: bool = False) -> str:
    """「世帯員2人・訪問記録12件・把握シート1件」 (the household itself only when asked)."""
    return "・".join(f"{tr(label)}{n}{tr(UNIT.get(label, '件'))}" for label, n in kinds
                    if household or label != "世帯")


def who_text(e: retention.Expired) -> str:
    """「架空 古子さんの世帯（上町・架空村上町9-9）」."""
    name = tr("{name}さんの世帯", name=e.head_name) if e.head_name else tr("世帯員のいない世帯 {code}", code=e.code)
    where = "・".join(p for p in (e.district, e.address) if p)
    return f"{name}（{where}）" if where else name


def head_item(e: retention.Expired) -> QTableWidgetItem:
    item = QTableWidgetItem(e.head_name or tr("（世帯員なし）"))
    item.setToolTip("\n".join(p for p in (e.head_name, e.head_kana, e.code) if p))
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    return item


def load(store) -> dict:
    return {"expired": retention.list_expired(store), "years": get_settings(store).retention_years}


class ConfirmPurgeDialog(QDialog):
    """Erasure is confirmed by typing 削除: a click alone is too easy to give. The dialog names
    each household (the head, district and address, what goes, the last activity) and the
    records erased by kind, so the clerk recognises whom they erase."""

    def __init__(self, chosen: list[retention.Expired], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("記録の消去"))
        records = sum(e.records for e in chosen)
        totals: Counter[str] = Counter()
        for e in chosen:
            totals.update(dict(e.kinds))
        self.heading = QLabel(tr("次の{h}世帯とその記録（{r}件）を消去します。", h=len(chosen), r=records))
        self.heading.setWordWrap(True)
        self.lines = [tr("■ {who}\n　　最後の記録：{last}　消える記録：{what}", who=who_text(e), what=kind_text(e.kinds),
                         last=format_wareki(e.last_activity)) for e in chosen]
        self.households = QPlainTextEdit("\n".join(self.lines))
        self.households.setReadOnly(True)
        self.households.setAccessibleName(tr("消去する世帯"))
        lines = min(3 * len(chosen), 12) + 1  # about four households without scrolling
        self.households.setFixedHeight(lines * self.households.fontMetrics().lineSpacing()
                                       + 2 * round(self.households.document().documentMargin())
                                       + 2 * self.households.frameWidth())
        order = list(retention.KINDS.values())
        self.totals = QLabel(tr("合わせて消える記録：{kinds}", kinds=kind_text(sorted(
            totals.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))))
        self.totals.setWordWrap(True)
        text = QLabel(tr("消去した記録は元に戻せません。次の同期で、ほかの端末からも消えます。\n\n"
                         "よろしければ、下の欄に「{w}」と入力してください。", w=CONFIRM_WORD))
        text.setWordWrap(True)
        self.word = QLineEdit()
        self.word.setAccessibleName(tr("確認のための入力"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = self.buttons.addButton(tr("消去する"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.erase_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("キャンセル"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.word.textChanged.connect(lambda t: self.erase_button.setEnabled(t.strip() == CONFIRM_WORD))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.households)
        layout.addWidget(self.totals)
        layout.addWidget(text)
        layout.addWidget(self.word)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)

    def summary_text(self) -> str:
        """What the dialog says about whom it erases (tests, and copying)."""
        return "\n".join([self.heading.text(), *self.lines, self.totals.text()])


class RetentionPage(QWidget):
    refresh_on = on(HOUSEHOLD, CONTACT, SHEET, SALON, CONFERENCE, SETTINGS)  # last activity; the retention years

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.expired: list[retention.Expired] = []
        self._latest = LatestOnly()
        # Replaced in tests; returns True when the user typed the word and chose 消去する.
        self.ask_confirmation = lambda chosen: ConfirmPurgeDialog(chosen, self).exec() == QDialog.DialogCode.Accepted

        title = QLabel(tr("保存期間を過ぎた記録"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.explain = hint_label()
        self.table = make_table(COLUMNS, fit=FIT, wrap=True)  # a few rows: addresses and kinds whole
        roomy_checks(self.table)
        self.table.setAccessibleName(tr("保存期間を過ぎた世帯の一覧"))
        self.stack, self.empty = table_or_empty(self.table)
        self.check_all = QPushButton(tr("すべてにチェック"))
        self.purge_button = QPushButton(tr("チェックした世帯の記録を消去する…"))
        self.checked_label = QLabel()
        self.errors = ErrorLabel()
        self.status = QLabel()
        self.status.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")

        actions = QHBoxLayout()
        actions.addWidget(self.check_all)
        actions.addWidget(self.checked_label)
        actions.addStretch(1)
        actions.addWidget(self.purge_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.explain)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.check_all.clicked.connect(self._check_all)
        self.purge_button.clicked.connect(self.purge)
        self.table.itemChanged.connect(lambda _item: self._update_checked())
        self._update_checked()
        keep_fresh(self, ctx.events, self.refresh_on)

    def refresh(self) -> None:
        seq = self._latest.next()
        store = self.ctx.store
        self.ctx.executor.submit(lambda: load(store), on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, result: dict) -> None:
        self.errors.clear_error()
        self.expired = result["expired"]
        self.explain.setText(tr(
            "終結してから（または削除してから）{y}年の保存期間を過ぎた世帯です。最後の記録は、訪問・把握シートの状況・"
            "つなぎ・サロンの参加・会議のうち最も新しい日です。消去すると、世帯員・訪問記録・把握シートなど、"
            "その世帯の記録がすべて消え、番号だけが残ります。", y=result["years"]))
        rows = []
        for e in self.expired:
            what = QTableWidgetItem(kind_text(e.kinds))
            what.setToolTip(tr("{kinds}（世帯を含めて{n}件）", kinds=kind_text(e.kinds), n=e.records))
            rows.append((head_item(e), e.address, e.district, format_wareki(e.last_activity),
                         tr("削除済み") if e.deleted else tr("終結"), what, e.code))
        self.table.blockSignals(True)
        fill_table(self.table, rows, [e.household_id for e in self.expired])
        self.table.blockSignals(False)
        if self.expired:
            self.stack.setCurrentWidget(self.table)
        else:
            self.empty.setText(tr("保存期間を過ぎた記録はありません。保存期間は「設定」で変えられます。"))
            self.stack.setCurrentWidget(self.empty)
        self._update_checked()

    def checked_ids(self) -> list[str]:
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())
                if self.table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def _check_all(self) -> None:
        for r in range(self.table.rowCount()):
            self.table.item(r, 0).setCheckState(Qt.CheckState.Checked)

    def _update_checked(self) -> None:
        n = len(self.checked_ids())
        self.checked_label.setText(tr("{n}世帯にチェック", n=n) if n else "")
        self.purge_button.setEnabled(bool(n))
        self.check_all.setEnabled(bool(self.expired))

    def purge(self) -> None:
        ids = self.checked_ids()
        if not ids:
            return
        chosen = [e for e in self.expired if e.household_id in set(ids)]
        if not self.ask_confirmation(chosen):
            return
        store = self.ctx.store
        self.status.setText("")

        def done(result: retention.Purged) -> None:
            self.status.setText(tr("{h}世帯（{r}件の記録）を消去しました。次の同期でほかの端末からも消えます。",
                                   h=result.households, r=result.records))
            self.ctx.changed(PURGE)  # every list of records reloads, this page too

        self.ctx.executor.submit(lambda: retention.purge_households(store, ids), on_done=done,
                                 on_error=self.errors.show_error, owner=self)
