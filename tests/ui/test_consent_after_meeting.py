"""A consent recorded with a date after the meeting's (issue 17): the 重層的支援会議's handout is
still refused — a consent does not reach back — but the refusal says so, with both dates in
和暦 and what to do, instead of 「同意が記録されていません」."""

from datetime import date, timedelta

import pytest

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.services import conference_consent, conferences, consents, households
from shakyo_desk.ui.pages.conferences import ConferencesPage
from tests.ui.helpers import click


@pytest.fixture
def late_consent(ctx, village):
    store = ctx.store
    today = clock.today()
    held_on = today - timedelta(days=5)
    yamada = village["households"]["yamada"]
    son = households.add_person(store, yamada, "山田 一郎", relation="子", birth_date=date(1975, 1, 1))
    head = households.get_household(store, yamada, log=False).members[0].id
    conference_id = conferences.add_conference(store, "multi-agency", held_on, members=["田中 太郎/地域包括支援センター"],
                                               cases=[{"household_id": yamada, "person_id": son}],  # the 本人 (issue 18)
                                               today=today)
    consents.add_consent(store, head, ["multi-agency"], given_on=held_on - timedelta(days=10), today=today)
    consents.add_consent(store, son, ["multi-agency"], given_on=today, today=today)  # after the meeting
    return conference_id, held_on, today, son


def test_the_service_says_which_consent_came_after_the_meeting(ctx, late_consent):
    conference_id, held_on, today, son = late_consent
    [missing] = conference_consent.missing_consent(ctx.store, conference_id)
    assert (missing.person_id, missing.held_on, missing.given_after) == (son, held_on, today)
    text = conference_consent.missing_consent_text(missing)
    assert format_wareki(today) in text and format_wareki(held_on) in text
    assert "会議の日（" in text and "より後の日付" in text and "記録されていません" not in text


def test_the_handout_tab_names_both_dates_and_what_to_do(qtbot, ctx, late_consent):
    conference_id, held_on, today, _ = late_consent
    page = ConferencesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.open_conference(conference_id, tab="会議資料")
    editor = page.editor
    qtbot.addWidget(editor)
    panel = editor.handout
    state = panel.state.text()
    assert "山田 一郎" in state and "同意が記録されていない" not in state
    assert format_wareki(today) in state and format_wareki(held_on) in state and "より後の日付" in state
    panel.ask_file = lambda suggested: pytest.fail("no file is asked for: the gate refuses")
    click(qtbot, panel.save_button)
    dialog = panel.refusal
    assert dialog is not None and dialog.isVisible()
    shown = dialog.text.text() + dialog.heading.text() + dialog.reasons.text()
    assert format_wareki(today) in shown and format_wareki(held_on) in shown
    assert "同意の記録の日付" in shown and "会議の日付" in shown  # what to do
    assert "記録されていない方がいます" not in dialog.heading.text()
    dialog.done(0)
