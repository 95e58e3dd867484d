"""Plans and evaluations on handouts (issue 18): what reports/handout_plan.py gathers for a case
of a meeting and reports/handout_plan_pdf.py prints — for a 重層的支援会議 the plan in force on
the meeting date (goal, who does what by when, the last monitoring up to that date), for a case
closed by then its evaluation; for a 支援会議 only the assessment's 課題 and 強み — with the
household's names minimised as the rest of the handout is."""

import io
from datetime import date

import pytest
from pypdf import PdfReader
from reportlab.platypus import SimpleDocTemplate

from shakyo_desk.reports import handout_pdf
from shakyo_desk.reports.handout_plan import case_work, find_case
from shakyo_desk.reports.handout_plan_pdf import case_work_story
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.store.services import agencies, case_plans, cases, conferences, households
from shakyo_desk.store.services.case_plans import ActionDraft
from tests.store.conftest import district, store, store_dir  # noqa: F401 (fixtures)

D = date.fromisoformat
TODAY = D("2026-01-15")
MEMBERS = ["佐藤 一/地域包括支援センター", "鈴木 二/役場福祉課"]
AGENCY = "みどり村地域包括支援センター"
HIDDEN = ("山本", "一郎", "花子", "ヤマモト", "川口")  # the household's names and the neighbour's


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)


@pytest.fixture
def village(store, district):  # noqa: F811
    agencies.add_agency(store, AGENCY, field="高齢")
    home = households.add_household(store, district, "山本 一郎", "ヤマモト イチロウ")
    head = households.get_household(store, home, log=False).members[0].id
    spouse = households.add_person(store, home, "山本 花子", kana="ヤマモト ハナコ", relation="配偶者")
    case = cases.open_case(store, home, opened_on=D("2025-12-01"), today=D("2025-12-01"))
    case_plans.add_assessment(store, case, "山本 一郎", person_id=head, problem="膝が痛く、買い物に行けない",
                              strength="一郎さんは家で暮らし続けたい気持ちが強い", today=D("2025-12-01"))
    case_plans.add_assessment(store, case, "佐藤 一", organisation="地域包括支援センター", person_id=spouse,
                              problem="花子さんが介護で疲れている", strength="近所の川口さんと仲が良い",
                              today=D("2025-12-02"))
    goal = case_plans.add_goal(
        store, case, "週1回、買い物に行ける", D("2026-01-10"), person_id=head, today=D("2025-12-03"),
        actions=[ActionDraft("agency", AGENCY, "介護保険の申請を手伝う", D("2025-12-20")),
                 ActionDraft("resident", "隣の川口 ミツ", "週1回の買い物の送迎")],
        missing=["移動販売がない"])
    case_plans.set_policy(store, case, "本人の意向を尊重し、山本さん宅を地域の支え手と見守る", today=D("2025-12-03"))
    case_plans.record_monitoring(store, case, goal, D("2026-01-10"), "partly", note="2回行けた。一郎さんは喜んでいる",
                                 next_review_on=D("2026-02-10"), today=D("2026-01-10"))

    closed_home = households.add_household(store, district, "川上 トメ", "カワカミ トメ")
    closed = cases.open_case(store, closed_home, opened_on=D("2025-10-01"), today=D("2025-10-01"))
    cases.close_case(store, closed, "目標を達成した", "トメさんが配食サービスを使い始め、体重が戻った",
                     worked="民生委員の声かけ", closed_on=D("2026-01-12"), today=D("2026-01-12"))
    return {"home": home, "case": case, "closed_home": closed_home, "closed": closed}


def meeting(store, kind, day, homes):  # noqa: F811
    conference_id = conferences.add_conference(store, kind, day, members=MEMBERS, cases=list(homes), today=TODAY)
    return conferences.get_conference(store, conference_id, log=False)


def work_for(store, detail, index=0, shown=()):  # noqa: F811
    info = detail.cases[index]
    household = households.get_household(store, info.household_id, log=False)
    return case_work(store, detail, info, household, set(shown))


def rendered_text(work) -> str:
    regular, bold = register_fonts()
    st = handout_pdf._styles(regular, bold)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer)
    doc.build(case_work_story(work, st, handout_pdf.TEXT_W))
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(buffer.getvalue())).pages)


def test_a_multi_agency_handout_shows_the_plan_in_force(store, village):  # noqa: F811
    detail = meeting(store, "multi-agency", D("2026-01-22"), [village["home"]])
    work = work_for(store, detail)
    assert work.status == "モニタリング" and work.plan_version == 1 and work.plan_made_on == D("2025-12-03")
    assert work.policy == "本人の意向を尊重し、○○さん宅を地域の支え手と見守る"
    [goal] = work.goals
    assert goal.target == "本人（Y・I）" and goal.text == "週1回、買い物に行ける"
    assert [(a.who, a.what, a.due_on) for a in goal.actions] == [
        (f"関係機関：{AGENCY}", "介護保険の申請を手伝う", D("2025-12-20")),
        ("住民の支え手", "週1回の買い物の送迎", None)]  # a neighbour is not named
    assert goal.last_check == "令和8年1月10日　一部：2回行けた。○○さんは喜んでいる"
    assert goal.review_on == D("2026-02-10")  # the next review the monitoring set
    assert work.missing_resources == ("移動販売がない",)
    assert work.evaluation is None and not work.problems  # the plan, not the assessment

    text = rendered_text(work)
    assert "支援プラン（第1版・令和7年12月3日作成）" in text and "週1回、買い物に行ける" in text
    assert f"関係機関：{AGENCY}" in text and "介護保険の申請を手伝う（R7.12.20まで）" in text
    assert "令和8年1月10日一部：2回行けた。" in text and "次の見直し：令和8年2月10日" in text
    assert "不足している社会資源：移動販売がない" in text
    for name in HIDDEN:
        assert name not in text, name


def test_the_plan_is_as_it_stood_on_the_meeting_date(store, village):  # noqa: F811
    detail = meeting(store, "multi-agency", D("2026-01-08"), [village["home"]])
    [goal] = work_for(store, detail).goals
    assert goal.last_check == "" and goal.review_on == D("2026-01-10")  # the monitoring came after
    assert "まだモニタリングしていません" in rendered_text(work_for(store, detail))


def test_a_closed_case_shows_its_evaluation(store, village):  # noqa: F811
    detail = meeting(store, "multi-agency", D("2026-01-22"), [village["closed_home"]])
    work = work_for(store, detail)
    assert work.status == "終結" and work.plan_version == 0
    assert work.evaluation.reason == "目標を達成した" and work.evaluation.worked == "民生委員の声かけ"
    text = rendered_text(work)
    assert "終結時の評価（令和8年1月12日終結）" in text
    assert "配食サービスを使い始め、体重が戻った" in text and "民生委員の声かけ" in text
    assert "トメ" not in text  # 「トメさんが…」: the given name is masked
    # a meeting before the closure: the case was open then, no evaluation yet
    before = meeting(store, "multi-agency", D("2026-01-05"), [village["closed_home"]])
    assert work_for(store, before).evaluation is None


def test_a_support_meeting_shows_problems_and_strengths_minimised(store, village):  # noqa: F811
    detail = meeting(store, "support", D("2026-01-22"), [village["home"]])
    work = work_for(store, detail)
    assert work.plan_version == 0 and not work.goals and work.evaluation is None  # no plan without consent
    assert [(p.about, p.said_by, p.text) for p in work.problems] == [
        ("本人（Y・I）", "本人", "膝が痛く、買い物に行けない"),
        ("配偶者（Y・H）", "地域包括支援センター", "○○さんが介護で疲れている")]
    assert [s.text for s in work.strengths] == ["○○さんは家で暮らし続けたい気持ちが強い", "近所の川口さんと仲が良い"]
    text = rendered_text(work)
    assert "アセスメントの課題" in text and "アセスメントの強み" in text and "膝が痛く、買い物に行けない" in text
    assert "支援プラン" not in text and "週1回、買い物に行ける" not in text
    for name in ("山本", "一郎", "花子", "ヤマモト"):
        assert name not in text, name


def test_names_are_shown_only_when_the_meeting_chose_to(store, village):  # noqa: F811
    detail = meeting(store, "support", D("2026-01-22"), [village["home"]])
    work = work_for(store, detail, shown={"full_name"})
    assert work.problems[0].about == "本人（山本 一郎）" and work.problems[1].text == "花子さんが介護で疲れている"


def test_which_case_and_other_meeting_types(store, village):  # noqa: F811
    review = meeting(store, "case-review", D("2026-01-22"), [village["home"]])
    assert work_for(store, review) is None  # neither a 支援会議 nor a 重層的支援会議
    early = meeting(store, "multi-agency", D("2025-11-20"), [village["home"]])
    assert work_for(store, early) is None  # the case was opened after that meeting
    later = meeting(store, "multi-agency", D("2026-01-22"), [village["home"], village["closed_home"]])
    assert find_case(store, later.cases[0], later.held_on) == village["case"]
    assert find_case(store, later.cases[1], later.held_on) == village["closed"]


def test_the_handouts_carry_the_plan_and_the_assessment(store, village):  # noqa: F811
    """End to end through reports/handouts.py: the preview of each kind of meeting."""
    from shakyo_desk.reports.handouts import preview_pdf
    from shakyo_desk.store.services import consents

    head = households.get_household(store, village["home"], log=False).members[0].id
    consents.add_consent(store, head, "multi-agency", given_on=TODAY, today=TODAY)
    other = households.get_household(store, village["closed_home"], log=False).members[0].id
    consents.add_consent(store, other, "multi-agency", given_on=TODAY, today=TODAY)
    multi = meeting(store, "multi-agency", D("2026-01-22"), [village["home"], village["closed_home"]])
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(preview_pdf(store, multi.id))).pages)
    assert "支援プラン（第1版・令和7年12月3日作成）" in text and "週1回、買い物に行ける" in text
    assert f"関係機関：{AGENCY}" in text and "介護保険の申請を手伝う" in text and "一部：2回行けた。" in text
    assert "終結時の評価（令和8年1月12日終結）" in text and "民生委員の声かけ" in text
    # The plan states its policy; only the case without a plan keeps the meeting records' heading.
    assert text.count("現在の支援方針") == 1
    for name in HIDDEN:
        assert name not in text, name

    support = meeting(store, "support", D("2026-01-22"), [village["home"]])
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(preview_pdf(store, support.id))).pages)
    assert "アセスメントの課題" in text and "膝が痛く、買い物に行けない" in text and "近所の川口さんと仲が良い" in text
    assert "支援プラン（" not in text and "介護保険の申請を手伝う" not in text
    for name in ("山本", "一郎", "花子", "ヤマモト"):
        assert name not in text, name


def test_a_case_that_is_gone_leaves_the_handout_without_it(store, village):  # noqa: F811
    from types import SimpleNamespace

    detail = meeting(store, "multi-agency", D("2026-01-22"), [village["home"]])
    gone = SimpleNamespace(household_id=village["home"], case_id="no-such-case")
    household = households.get_household(store, village["home"], log=False)
    assert case_work(store, detail, gone, household, set()) is None
