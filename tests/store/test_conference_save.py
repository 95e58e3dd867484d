"""A conference is saved as a whole (``conferences.save_conference``): one transaction, refused
as a whole, and refused when the conference changed since the editor loaded it — in another
window or by an imported bundle."""

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from shakyo_desk.store import changes_codec

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.ids import new_id
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import conferences, districts, households
from shakyo_desk.store.services.conferences import CaseDraft, ConferenceDraft, MemberDraft, RoleAssignment
from tests.store.conference_drafts import draft_of, edit_conference
from tests.store.test_conferences import DAY, TODAY, audits, counts, meeting, village  # noqa: F401 - fixture
from tests.sync.council import carry, enrol, make_office


def new_draft(village, **fields) -> ConferenceDraft:
    return ConferenceDraft(
        "multi-agency", DAY, title="臨時会議", place="公民館", minutes="見守りを続ける", disclosures=("address",),
        members=(MemberDraft("田中 太郎", "地域包括", DAY), MemberDraft("鈴木 花子", "役場")),
        cases=(CaseDraft(village["yamada"], "8050", "週1回の訪問", "社協", (RoleAssignment("民生委員", "声かけ"),),
                         DAY + timedelta(days=30)),
               CaseDraft(village["sato"], "一人暮らし")),
        **fields)


def log_rows(store, after_seq=0):
    with store.read() as s:
        return s.execute(sa.select(ChangeLog.entity, ChangeLog.op, ChangeLog.seq).where(ChangeLog.seq > after_seq)
                         .order_by(ChangeLog.seq)).all()


def newest_seq(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.max(ChangeLog.seq))).scalar() or 0


def count_writes(store, monkeypatch) -> list:
    opened = []
    write = store.write

    def counted(*args, **kwargs):
        opened.append(1)
        return write(*args, **kwargs)

    monkeypatch.setattr(store, "write", counted)
    return opened


def test_a_new_conference_with_everything_in_one_transaction(store, village, monkeypatch):
    seq = newest_seq(store)
    opened = count_writes(store, monkeypatch)
    conference_id = conferences.save_conference(store, new_draft(village), today=TODAY)
    assert len(opened) == 1
    c = conferences.get_conference(store, conference_id, log=False)
    assert (c.title, c.minutes, c.disclosures) == ("臨時会議", "見守りを続ける", ("address",))
    assert [(m.name, m.confidentiality_acknowledged_on) for m in c.members] == [("田中 太郎", DAY), ("鈴木 花子", None)]
    yamada = c.cases[0]
    assert (yamada.support_policy, yamada.lead_agency, yamada.roles) == ("週1回の訪問", "社協",
                                                                        (RoleAssignment("民生委員", "声かけ"),))
    # one insert per row and nothing else: the disclosures and decisions are part of the inserts
    assert [(e, op) for e, op, _ in log_rows(store, seq)] == [("conference", "insert")] + [
        ("conference_member", "insert")] * 2 + [("conference_case", "insert")] * 2
    assert [d["after"] for _, d in audits(store, "conference.disclosure")] == [["address"]]
    assert check_store(store).sound


def test_a_refusal_at_the_last_step_of_a_new_conference_leaves_no_trace(store, village):
    before = counts(store)
    draft = new_draft(village)
    gone = CaseDraft(new_id(), "世帯は別の画面で削除された")  # found missing only when its case is written
    with pytest.raises(NotFound):
        conferences.save_conference(store, replace(draft, cases=draft.cases + (gone,)), today=TODAY)
    assert counts(store) == before  # no conference, members, cases, change-log or audit rows
    assert conferences.list_conferences(store) == []
    assert check_store(store).sound


def test_an_edit_is_saved_as_one_transaction(store, village, monkeypatch):
    conference_id = meeting(store, village)
    opened_at = conferences.get_conference(store, conference_id, log=False)
    draft = draft_of(opened_at)
    tanaka, suzuki = draft.members
    yamada, _sato = draft.cases
    edited = replace(
        draft, place="公民館", minutes="次回までに家計表を確認", disclosures=("phone",),
        members=(replace(tanaka, acknowledged_on=DAY), MemberDraft("高橋 一", "民生委員")),  # 鈴木 removed
        cases=(replace(yamada, support_policy="家計相談につなぐ", lead_agency="まいさぽ",
                       roles=(("地域包括", "受診の同行"),)),))  # 佐藤 removed
    seq = newest_seq(store)
    opened = count_writes(store, monkeypatch)
    conferences.save_conference(store, edited, conference_id, expected_version=opened_at.version, today=TODAY)
    assert len(opened) == 1
    c = conferences.get_conference(store, conference_id, log=False)
    assert (c.place, c.minutes, c.disclosures) == ("公民館", "次回までに家計表を確認", ("phone",))
    assert [(m.name, m.confidentiality_acknowledged_on) for m in c.members] == [("田中 太郎", DAY), ("高橋 一", None)]
    assert [(k.household_id, k.support_policy, k.lead_agency) for k in c.cases] == [
        (village["yamada"], "家計相談につなぐ", "まいさぽ")]
    assert c.version != opened_at.version
    with store.read() as s:
        written = sorted((r.entity, r.op, tuple(sorted(r.fields)) if r.op == "update" else ()) for r in changes_codec.rows(
            s.connection(), ChangeLog.seq > seq))
    assert written == sorted([
        ("conference", "update", ("disclosures", "minutes", "place")),  # one change for the three
        ("conference_member", "update", ("confidentiality_acknowledged_on",)),
        ("conference_member", "update", ("deleted_at",)),  # 鈴木
        ("conference_member", "insert", ()),
        ("conference_case", "update", ("lead_agency", "roles", "support_policy")),
        ("conference_case", "update", ("deleted_at",))])  # 佐藤
    assert [d for _, d in audits(store, "conference.disclosure")][-1] == {"before": [], "after": ["phone"]}
    # saving what is stored again writes nothing
    seq = newest_seq(store)
    conferences.save_conference(store, draft_of(c), conference_id, expected_version=c.version, today=TODAY)
    assert log_rows(store, seq) == []
    assert check_store(store).sound


def test_a_refusal_at_the_last_step_of_an_edit_leaves_no_trace(store, village):
    conference_id = meeting(store, village)
    opened_at = conferences.get_conference(store, conference_id, log=False)
    draft = draft_of(opened_at)
    yamada, sato = draft.cases
    before = counts(store)
    # the meeting moves past the review date of its last case: refused when that case is reached,
    # after the conference, its members and the first case were written in the transaction
    late = replace(draft, held_on=DAY + timedelta(days=10), place="役場", minutes="書いた", disclosures=("address",),
                   members=draft.members + (MemberDraft("高橋 一", "民生委員"),),
                   cases=(replace(yamada, lead_agency="社協"), replace(sato, next_review_on=DAY + timedelta(days=5))))
    with pytest.raises(InvalidInput) as err:
        conferences.save_conference(store, late, conference_id, expected_version=opened_at.version, today=TODAY)
    assert "ケース2" in err.value.message and "見直し日が会議の日より前" in err.value.message
    # a case taken from another conference
    other = conferences.get_conference(store, meeting(store, village), log=False)
    before = counts(store)
    stray = replace(draft, place="役場", cases=(yamada, replace(sato, id=other.cases[1].id)))
    with pytest.raises(NotFound):
        conferences.save_conference(store, stray, conference_id, expected_version=opened_at.version, today=TODAY)
    assert counts(store) == before
    assert conferences.get_conference(store, conference_id, log=False) == opened_at
    assert check_store(store).sound


def test_a_case_can_be_added_to_a_recorded_conference_once(store, village):
    """Issue 18 lifts the old rule (cases fixed once recorded): the editor may add a case; the same
    household twice is still refused, with nothing written."""
    conference_id = meeting(store, village, cases=[village["yamada"]])
    draft = draft_of(conferences.get_conference(store, conference_id, log=False))
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        conferences.save_conference(store, replace(draft, place="役場", cases=draft.cases + (CaseDraft(village["yamada"]),)),
                                    conference_id, today=TODAY)
    assert "2回選ばれています" in err.value.message and counts(store) == before
    conferences.save_conference(store, replace(draft, place="役場", cases=draft.cases + (CaseDraft(village["sato"]),)),
                                conference_id, today=TODAY)
    saved = conferences.get_conference(store, conference_id, log=False)
    assert [c.household_id for c in saved.cases] == [village["yamada"], village["sato"]] and saved.place == "役場"
    assert check_store(store).sound


def test_a_conference_changed_in_another_window_is_not_overwritten(store, village):
    conference_id = meeting(store, village)
    opened_at = conferences.get_conference(store, conference_id, log=False)
    edit_conference(store, conference_id, case_changes={opened_at.cases[1].id: {"lead_agency": "地域包括"}},
                    today=TODAY)  # another window
    changed = conferences.get_conference(store, conference_id, log=False)
    before = counts(store)
    with pytest.raises(InvalidInput) as err:
        conferences.save_conference(store, replace(draft_of(opened_at), place="役場"), conference_id,
                                    expected_version=opened_at.version, today=TODAY)
    assert "別の画面または別の人が保存" in err.value.message and "何も保存していません" in err.value.message
    assert counts(store) == before
    assert conferences.get_conference(store, conference_id, log=False) == changed


def test_an_old_conference_keeps_its_date_when_edited(store, village):
    conference_id = meeting(store, village)
    later = TODAY + timedelta(days=500)  # the meeting is now more than a year back
    detail = conferences.get_conference(store, conference_id, log=False)
    conferences.save_conference(store, replace(draft_of(detail), minutes="後から清書"), conference_id,
                                expected_version=detail.version, today=later)
    assert conferences.get_conference(store, conference_id, log=False).minutes == "後から清書"
    with pytest.raises(InvalidInput):
        conferences.save_conference(store, replace(draft_of(detail), held_on=DAY - timedelta(days=1)), conference_id,
                                    today=later)


def test_an_imported_change_stamped_before_ours_still_makes_the_editor_stale(tmp_path):
    """The laptop edits the conference first; the office edits it later (a newer stamp) and opens
    it; then the laptop's bundle arrives. The newest stamp is still the office's own, yet the
    conference changed: the save from the editor opened before the import is refused."""
    office, _ = make_office(tmp_path)
    laptop = enrol(office, tmp_path, "laptop1")
    try:
        district = districts.add_district(office, "上町")
        home = households.add_household(office, district, "架空 花子")
        conference_id = conferences.add_conference(office, "support", DAY, members=["田中/包括"],
                                                   cases=[(home, "見守り")], today=TODAY)
        carry(office, laptop, tmp_path / "usb")
        edit_conference(laptop, conference_id, place="公民館", today=TODAY)
        edit_conference(office, conference_id, title="第3回", today=TODAY)
        opened_at = conferences.get_conference(office, conference_id, log=False)
        carry(laptop, office, tmp_path / "back")
        imported = conferences.get_conference(office, conference_id, log=False)
        assert imported.place == "公民館" and imported.title == "第3回"
        with office.read() as s:
            before = s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one()
        with pytest.raises(InvalidInput) as err:
            conferences.save_conference(office, replace(draft_of(opened_at), agenda="分担"), conference_id,
                                        expected_version=opened_at.version, today=TODAY)
        assert "同期で取り込んだ変更" in err.value.message
        with office.read() as s:
            assert s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one() == before
        assert conferences.get_conference(office, conference_id, log=False) == imported
    finally:
        laptop.close()
        office.close()


def test_the_old_audit_counts_still_hold(store, village):
    """A save appends one audit row per changed row (and the disclosure entry), no more."""
    conference_id = meeting(store, village)
    detail = conferences.get_conference(store, conference_id, log=False)
    with store.read() as s:
        audits_before = s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()
    conferences.save_conference(store, replace(draft_of(detail), place="役場", disclosures=("address",)),
                                conference_id, expected_version=detail.version, today=TODAY)
    with store.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() == audits_before + 2
