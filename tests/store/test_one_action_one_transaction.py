"""One user action, one transaction, beyond conferences: a household registered from a sheet
is created and linked together or not at all; a household saved from its editor is refused
when it changed since it was opened, an imported change included."""

from dataclasses import replace

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, StoreError
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog, ConcernSheet, Household, Person
from shakyo_desk.store.services import districts, households, sheets
from shakyo_desk.store.writer import Writer
from tests.store.test_field_records import TODAY, village  # noqa: F401 - fixture
from tests.sync.council import carry, enrol, make_office


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


def test_a_household_changed_by_an_imported_bundle_is_not_overwritten(tmp_path):
    """The laptop edits the household first, the office later (a newer stamp) and opens its
    editor; then the laptop's bundle arrives. The newest stamp is still the office's own, yet
    the household changed: the editor opened before the import may not save over it."""
    office, _ = make_office(tmp_path)
    laptop = enrol(office, tmp_path, "laptop1")
    try:
        district = districts.add_district(office, "上町")
        household_id = households.add_household(office, district, "架空 花子")
        carry(office, laptop, tmp_path / "usb")
        households.update_household(laptop, household_id, notes="玄関に手すりが必要")
        households.update_household(office, household_id, phone="0000-00-0001")
        opened = households.get_household(office, household_id, log=False)
        carry(laptop, office, tmp_path / "back")
        imported = households.get_household(office, household_id, log=False)
        assert (imported.notes, imported.phone) == ("玄関に手すりが必要", "0000-00-0001")
        members = [{"id": m.id, "name": m.name} for m in opened.members]
        before = counts(office)
        with pytest.raises(InvalidInput) as err:
            households.save_household(office, household_id, {"notes": ""}, members, opened.version)
        assert "開き直し" in err.value.message
        assert counts(office) == before
        assert households.get_household(office, household_id, log=False).notes == "玄関に手すりが必要"
    finally:
        laptop.close()
        office.close()
