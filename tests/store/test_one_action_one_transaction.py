"""One user action, one transaction, beyond conferences: a household registered from a sheet
is created and linked together or not at all."""

from dataclasses import replace

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, StoreError
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog, ConcernSheet, Household, Person
from shakyo_desk.store.services import sheets
from shakyo_desk.store.writer import Writer
from tests.store.test_field_records import TODAY, village  # noqa: F401 - fixture


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (ChangeLog, AuditLog, Household, Person))


def test_a_household_from_a_sheet_is_created_and_linked_in_one_transaction(store, village, monkeypatch):
    sheet = sheets.file_sheet(store, household_hint="下町の新しい方", concerns=["住まい"], today=TODAY)
    before = counts(store)
    update = Writer.update

    def link_fails(self, model, entity_id, changes, **kwargs):
        if model is ConcernSheet:
            raise OSError("disk full")  # the link is the last write: a crash or a full disk there
        return update(self, model, entity_id, changes, **kwargs)

    monkeypatch.setattr(Writer, "update", link_fails)
    with pytest.raises(StoreError):  # 「…今回の変更は保存されていません。」
        sheets.create_household_from_sheet(store, sheet, village["lower"], "新井 一", "アライ ハジメ")
    monkeypatch.undo()
    assert counts(store) == before  # no household left behind unlinked
    assert sheets.get_sheet(store, sheet).household_id is None
    household = sheets.create_household_from_sheet(store, sheet, village["lower"], "新井 一", "アライ ハジメ")
    assert sheets.get_sheet(store, sheet).household_id == household
    assert check_store(store).sound


def test_a_sheet_linked_in_another_window_meanwhile_gets_no_second_household(store, village, monkeypatch):
    sheet = sheets.file_sheet(store, household_hint="山田さん", concerns=["介護"], today=TODAY)
    as_opened = sheets.get_sheet(store, sheet)
    sheets.link_household(store, sheet, village["haru"])  # another window, after this one read the sheet
    monkeypatch.setattr(sheets, "get_sheet", lambda _store, _id: replace(as_opened))
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        sheets.create_household_from_sheet(store, sheet, village["lower"], "山田 別人")
    assert "すでに世帯と結び付いています" in err.value.message
    assert counts(store) == before
    monkeypatch.undo()
    assert sheets.get_sheet(store, sheet).household_id == village["haru"]
