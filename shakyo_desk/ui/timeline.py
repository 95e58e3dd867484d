"""Household timeline (経過): contacts, sheets, status changes, salon attendance, referrals,
conferences and the steps of its 支援ケース (opened, status, plan versions, monitoring, closure)
of one household, newest first, with kind and period filters."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_conferences, sees_all_households
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.timeline import KINDS, TimelineEntry, household_timeline
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen
from shakyo_desk.ui.events import CASE, CONFERENCE, CONTACT, HOUSEHOLD, REFERRAL, SALON, SHEET, keep_fresh, on
from shakyo_desk.ui.worker import LatestOnly

# What the timeline shows: a change of any of these reloads an open timeline.
SHOWN = on(HOUSEHOLD, CONTACT, SHEET, REFERRAL, SALON, CONFERENCE, CASE)

KIND_COLOURS = {
    "contact": "#1f5f8b",
    "sheet": "#b35c00",
    "status": "#6b4c9a",
    "attendance": "#2f6b3a",
    "referral": "#8b1f4f",
    "conference": "#1f6b6b",
    "case": "#7a4a00",
}


def entry_html(e: TimelineEntry, *, conference_links: bool = False) -> str:
    colour = KIND_COLOURS.get(e.kind, "#333")
    title = escape(e.title)
    by = f'<span style="color:#555;">　{escape(tr("記録：{by}", by=e.by))}</span>' if e.by else ""
    if e.kind == "contact":
        by += f'　<a href="contact:{escape(e.ref_id)}">{escape(tr("詳しく見る"))}</a>'
    if e.kind == "conference" and conference_links:
        by += f'　<a href="conference:{escape(e.ref_id)}">{escape(tr("会議を開く"))}</a>'
    if e.kind == "case":
        by += f'　<a href="case:{escape(e.ref_id)}">{escape(tr("ケースを開く"))}</a>'

    detail = escape(e.detail).replace("\n", "<br>") if e.detail else ""
    return (
        '<table width="100%" cellspacing="0" cellpadding="4" style="margin-bottom:6px;">'
        f'<tr><td width="180" valign="top" style="color:#333;">{escape(format_wareki(e.on, weekday=True))}</td>'
        f'<td valign="top"><span style="color:{colour}; font-weight:bold;">［{escape(tr(e.kind_label))}］</span>'
        f' <b>{title}</b>{by}'
        + (f'<div style="margin-top:3px;">{detail}</div>' if detail else "")
        + '</td></tr></table><hr style="border:0; color:#ddd; background:#ddd;">'
    )


class TimelineDialog(QDialog):
    def __init__(self, ctx: AppContext, household_id: str, head_name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.head_name = head_name
        self.entries: list[TimelineEntry] = []
        self._latest = LatestOnly()
        self._logged = False
        self.case_detail = None  # a case opened from its link or the 支援ケース button
        self.case_dialog = None
        self.setWindowTitle(tr("世帯の経過"))

        self.heading = QLabel(tr("{name} さんの世帯の経過", name=head_name) if head_name else tr("世帯の経過"))
        self.heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.kind_boxes: dict[str, QCheckBox] = {}
        kinds_row = QHBoxLayout()
        kinds_row.addWidget(QLabel(tr("表示する記録")))
        for kind, label in KINDS.items():
            box = QCheckBox(tr(label))
            box.setChecked(True)
            box.setStyleSheet(f"QCheckBox {{ color: {KIND_COLOURS.get(kind, '#333')}; font-weight: bold; }}")
            box.toggled.connect(self.load)
            self.kind_boxes[kind] = box
            kinds_row.addWidget(box)
        kinds_row.addStretch(1)
        self.date_from = DateField(optional=True, placeholder=tr("はじめ"))
        self.date_to = DateField(optional=True, placeholder=tr("おわり"))
        for line in (self.date_from, self.date_to):
            line.wareki.setVisible(False)
            line.edit.setMaximumWidth(120)
            line.edit.returnPressed.connect(self.load)
        self.apply_button = QPushButton(tr("この期間で表示"))
        self.apply_button.setAutoDefault(False)
        self.apply_button.clicked.connect(self.load)
        self.clear_button = QPushButton(tr("期間をすべてに戻す"))
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.clear_period)
        period_row = QHBoxLayout()
        period_row.addWidget(QLabel(tr("期間")))
        period_row.addWidget(self.date_from)
        period_row.addWidget(QLabel(tr("〜")))
        period_row.addWidget(self.date_to)
        period_row.addWidget(self.apply_button)
        period_row.addWidget(self.clear_button)
        period_row.addStretch(1)
        self.count_label = QLabel()

        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.setOpenExternalLinks(False)
        self.view.anchorClicked.connect(self._link)
        self.view.setStyleSheet("QTextBrowser { background: white; }")
        self.errors = ErrorLabel()
        self.entry_button = QPushButton(tr("訪問記録を入力"))
        self.entry_button.setAutoDefault(False)
        self.entry_button.clicked.connect(self.new_contact)
        close = QPushButton(tr("閉じる"))
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        self.case_button = QPushButton(tr("支援ケース…"))
        self.case_button.setAutoDefault(False)
        self.case_button.setToolTip(tr("この世帯の支援ケースを開きます（なければ新しく開きます）"))
        self.case_button.clicked.connect(self.open_case)
        self.case_button.setVisible(sees_all_households(ctx.role))
        buttons = QHBoxLayout()
        buttons.addWidget(self.entry_button)
        buttons.addWidget(self.case_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(kinds_row)
        layout.addLayout(period_row)
        layout.addWidget(self.errors)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(820, 640), settings=ctx.ui_settings, key="timeline")
        keep_fresh(self, ctx.events, SHOWN, self.load)
        self.load()

    def kinds(self) -> set[str]:
        return {k for k, box in self.kind_boxes.items() if box.isChecked()}

    def clear_period(self) -> None:
        self.date_from.set_date(None)
        self.date_to.set_date(None)
        self.load()

    def load(self) -> None:
        kinds = self.kinds()
        try:
            date_from, date_to = DateField.checked_period(self.date_from, self.date_to)
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        if not kinds:
            self._show([])
            return
        seq = self._latest.next()
        log = not self._logged  # opening is recorded once, not every change of filter
        self._logged = True
        self.ctx.executor.submit(lambda: household_timeline(self.ctx.store, self.household_id, kinds, date_from,
                                                            date_to, log=log), on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, entries: list[TimelineEntry]) -> None:
        self.errors.clear_error()
        self.entries = entries
        self.count_label.setText(tr("{n}件", n=len(entries)))
        if entries:
            links = manages_conferences(self.ctx.role)
            html = "".join(entry_html(e, conference_links=links) for e in entries)
        else:
            filtered = len(self.kinds()) < len(KINDS) or self.date_from.text() or self.date_to.text()
            message = (tr("条件に合う記録はありません。表示する記録の種類や期間を変えてみてください。") if filtered
                       else tr("この世帯の記録はまだありません。「訪問記録を入力」から最初の記録を残せます。"))
            html = f'<p style="color:#555; font-size:12pt; margin:30px;">{escape(message)}</p>'
        self.view.setHtml(html)

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("contact:"):
            self.ctx.navigator.open_contact(text.split(":", 1)[1], self)
        elif text.startswith("conference:"):
            self.ctx.navigator.open_conference(text.split(":", 1)[1], self, on_error=self.errors.show_error)
        elif text.startswith("case:"):
            self.case_detail = self.ctx.navigator.open_case(text.split(":", 1)[1], self)

    def open_case(self) -> None:
        """The household's open case (the latest closed one if none is open), or a new one opened here."""
        from shakyo_desk.store.services.case_views import assignable_staff, list_cases
        from shakyo_desk.store.services.agencies import list_agencies

        store, household_id = self.ctx.store, self.household_id
        self.ctx.executor.submit(lambda: (list_cases(store, household_id=household_id), assignable_staff(store),
                                          list_agencies(store)),
                                 on_done=self._case_loaded, on_error=self.errors.show_error, owner=self)

    def _case_loaded(self, result) -> None:
        from shakyo_desk.domain.vocab import CASE_CLOSED

        found, staff, agencies = result
        current = next((c for c in found if c.status != CASE_CLOSED), found[0] if found else None)
        if current is not None:
            self.case_detail = self.ctx.navigator.open_case(current.id, self)
            return

        def opened(case_id: str) -> None:
            self.ctx.changed(CASE)
            self.case_detail = self.ctx.navigator.open_case(case_id, self)

        label = tr("{name} さんの世帯", name=self.head_name) if self.head_name else ""
        self.case_dialog = self.ctx.navigator.new_case(self, staff, agencies, household_id=self.household_id,
                                                       household_label=label)
        self.case_dialog.saved.connect(opened)
        self.case_dialog.open()

    def new_contact(self) -> None:
        self.ctx.navigator.new_contact(self, self.household_id, self.head_name)  # saving reloads (keep_fresh)

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("timeline", self)
        super().reject()


def open_timeline(ctx: AppContext, household_id: str, head_name: str, parent: QWidget) -> TimelineDialog:
    dialog = TimelineDialog(ctx, household_id, head_name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # opened again and again from lists
    dialog.open()
    return dialog
