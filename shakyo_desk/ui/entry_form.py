"""What every entry dialog does alike: one save at a time, a refusal shown inline,
and closing with unsaved input asks first (the window's size is remembered)."""

from __future__ import annotations

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.i18n import tr
from shakyo_desk.ui import dialogs


class EntryForm:
    """Mixin listed before ``QDialog``. The dialog has ``ctx``, ``errors`` (an ErrorLabel),
    ``save_button`` and either ``values()`` (compared with ``_snapshot``, taken when the form
    was filled) or its own ``is_dirty()``; its geometry is saved under ``geometry_key``."""

    geometry_key = ""
    discard_title = "入力の破棄"
    discard_text = "保存していない入力があります。入力を捨てて閉じますか？"
    _saving = False
    _snapshot = None

    def is_dirty(self) -> bool:
        if self._snapshot is None:
            return False
        try:
            return self.values() != self._snapshot
        except InvalidInput:  # a date was typed over with something unreadable
            return True

    def _values_or_show_error(self) -> dict | None:
        """``values()``, or ``None`` after showing why they cannot be read."""
        try:
            return self.values()
        except InvalidInput as error:
            self.errors.show_error(error)
            return None

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)

    def _failed(self, error: BaseException) -> None:
        self._set_saving(False)
        self.errors.show_error(error)

    def reject(self) -> None:
        if self.is_dirty() and not dialogs.confirm(self, tr(self.discard_title), tr(self.discard_text),
                                                   yes=tr("捨てて閉じる")):
            return
        self.ctx.ui_settings.save_geometry(self.geometry_key, self)
        super().reject()
