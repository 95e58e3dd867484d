"""Issue 18: before printing, the handout tab tells the coordinator which members' copies go
without a case because the 本人's consent does not name their organisation, and saving asks first
(declining writes nothing)."""

from datetime import timedelta

from shakyo_desk.domain import clock
from shakyo_desk.store.services import conferences, consents, handout_register, households
from shakyo_desk.ui.pages.conferences import ConferencesPage
from tests.ui.helpers import click


def test_the_handout_tab_names_a_member_left_without_a_case(qtbot, ctx, village, answers, tmp_path):
    store = ctx.store
    today = clock.today()
    yamada = village["households"]["yamada"]
    head = households.get_household(store, yamada, log=False).members[0].id
    conference_id = conferences.add_conference(
        store, "multi-agency", today + timedelta(days=3), members=["田中 太郎/地域包括支援センター", "鈴木 花子/役場"],
        cases=[yamada], today=today)
    consents.add_consent(store, head, ["multi-agency"], agencies=["地域包括支援センター"], given_on=today, today=today)
    page = ConferencesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.open_conference(conference_id, tab="会議資料")
    editor = page.editor
    qtbot.addWidget(editor)
    panel = editor.handout
    state = panel.state.text()
    assert "作れます" in state and "鈴木 花子（役場）さん" in state and "このケースを載せません" in state

    replies, asked = answers
    replies.append(False)  # 「このまま作る」? no
    panel.ask_file = lambda suggested: str(tmp_path / "h.pdf")
    click(qtbot, panel.save_button)
    assert any("共有先に入っていない" in text and "鈴木 花子" in text for text in asked)
    assert not (tmp_path / "h.pdf").exists() and handout_register.copies_of(store, conference_id) == []
