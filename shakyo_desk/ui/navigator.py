"""The one way from one screen to another.

Screens never import each other: they call ``ctx.navigator.open_timeline(...)`` and so on. This
module is the only one that imports the dialogs it opens; the dialogs must not import it (they
reach it through the context), so no screen module depends on another and there is no import
cycle. It holds no store logic: each dialog module's own ``open_…`` function loads what it
needs in the worker.

The main window makes the session's navigator (``Navigator(ctx, window)``): pages can then be
shown, and a sheet filed from anywhere is confirmed in its status bar. A context made without a
main window (tests, tools) gets one without a window from ``context.set_default_navigator``:
the same dialogs, no pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.ui import case_detail, case_dialogs, contact_entry, household_editor, sheet_form, timeline
from shakyo_desk.ui.conference_editor import ConferenceEditorDialog, open_conference_editor
from shakyo_desk.ui.context import AppContext

OnError = Callable[[BaseException], None] | None


class Navigator:
    def __init__(self, ctx: AppContext, window=None):
        self.ctx = ctx
        self.window = window  # the main window (show_page, statusBar), or None

    # ---- pages of the main window --------------------------------------------------------

    @property
    def has_pages(self) -> bool:
        """Whether pages can be shown (a main window is there); buttons that lead to a page hide otherwise."""
        return self.window is not None

    def show_page(self, key: str) -> QWidget | None:
        """Bring the main window's page ``key`` forward (e.g. 要確認 after an import); its widget."""
        if self.window is None:
            return None
        return self.window.show_page(key)

    def _status(self, text: str) -> None:
        if self.window is not None:
            self.window.statusBar().showMessage(text, 8000)

    # ---- households --------------------------------------------------------------------------

    def open_household(self, household_id: str, parent: QWidget, *, districts=None,
                       consent_for: str | None = None,
                       on_opened: Callable[[household_editor.HouseholdEditorDialog], None] | None = None,
                       on_error: OnError = None) -> None:
        """The household's editor, once loaded (``on_opened(editor)``); ``consent_for``: a person's id,
        to open on the consent tab with that person's consent dialog."""
        household_editor.open_household_editor(self.ctx, household_id, parent, districts=districts,
                                               consent_for=consent_for, on_opened=on_opened, on_error=on_error)

    def open_timeline(self, household_id: str, head_name: str, parent: QWidget) -> timeline.TimelineDialog:
        """The household's 経過."""
        return timeline.open_timeline(self.ctx, household_id, head_name, parent)

    # ---- support cases -----------------------------------------------------------------------

    def open_case(self, case_id: str, parent: QWidget, *, today: date | None = None) -> case_detail.CaseDetailDialog:
        """A 支援ケース: its steps, assessment, plan, monitoring and closure."""
        return case_detail.open_case_detail(self.ctx, case_id, parent, today=today)

    def new_case(self, parent: QWidget, staff, agencies, **fields) -> case_dialogs.OpenCaseDialog:
        """ケースを開く, not yet shown (``fields``: household_id, household_label, sheet_ids, assignee_id,
        lead_agency_id); it emits ``saved(case_id)`` once the case is open."""
        return case_dialogs.OpenCaseDialog(self.ctx, staff, agencies, parent, **fields)

    # ---- contacts and sheets -----------------------------------------------------------------

    def new_contact(self, parent: QWidget, household_id: str | None = None,
                    household_label: str = "") -> contact_entry.ContactEntryDialog:
        """The quick 訪問記録 entry, for one household or for any."""
        return contact_entry.open_contact_entry(self.ctx, parent, household_id, household_label)

    def open_contact(self, contact_id: str, parent: QWidget) -> None:
        """One recorded contact, once loaded."""
        contact_entry.open_contact_detail(self.ctx, contact_id, parent)

    def open_sheet_form(self, prefill: dict | None = None, parent: QWidget | None = None,
                        on_filed: Callable[[str], None] | None = None) -> sheet_form.SheetFormDialog:
        """A new 把握シート, prefilled (from a contact, a salon remark). It belongs to the main
        window, so it stays open when the screen that asked for it closes."""
        def filed(sheet_id: str) -> None:
            self._status(tr("把握シートを提出しました。"))
            if on_filed is not None:
                on_filed(sheet_id)

        return sheet_form.open_sheet_form(self.ctx, prefill, self.window or parent, filed)

    # ---- conferences ---------------------------------------------------------------------------

    def open_conference(self, conference_id: str | None, parent: QWidget, *, tab: str | None = None,
                        on_opened: Callable[[ConferenceEditorDialog], None] | None = None,
                        on_error: OnError = None, today: date | None = None) -> None:
        """A conference's editor once loaded (``None``: a new conference), optionally on one tab."""
        def opened(dialog: ConferenceEditorDialog) -> None:
            if tab:
                dialog.show_tab(tab)
            if on_opened is not None:
                on_opened(dialog)

        open_conference_editor(self.ctx, conference_id, parent, on_open=opened, on_error=on_error, today=today)
