"""地域課題の一覧 on A4 (issue 19): built from a real store with a case, a missing resource and
an activity behind an issue; the text pypdf extracts carries the title, the issue, its evidence
counts, the activity that raised it and the response, and no household name."""

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from shakyo_desk.domain import clock
from shakyo_desk.reports.community_issues_pdf import MARK, TITLE, community_issues_pdf, export_detail, load_register
from shakyo_desk.store.services import activities, case_plans, cases, community_issues, districts, households
from tests.store.conftest import store, store_dir  # noqa: F401 (fixtures)


def flat(data: bytes) -> str:
    return re.sub(r"\s+", "", "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def test_the_register_in_print_names_no_household(store, pin_today):  # noqa: F811
    pin_today(date(2026, 12, 7))
    today = clock.today()
    upper = districts.add_district(store, "上町")
    household = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル")
    case = cases.open_case(store, household)
    case_plans.add_goal(store, case, "週1回の買い物ができる", today + timedelta(days=30), missing=["冬の送迎がない"])
    [resource] = community_issues.case_resources(store, case)
    issue = community_issues.raise_from_resource(store, resource.id, "冬の移動手段がない")
    activities.add_activity(store, "地域懇談会", date(2026, 11, 20), "上町 なるほど懇談会", district_id=upper,
                            raised="山田さんの家まで除雪車が来ない", issue_ids=[issue])
    cases.close_case(store, case, "転居", "家族と暮らす", community_issue="冬の移動手段がない")
    community_issues.set_status(store, issue, "取組中", response="町と乗合タクシーの冬季運行を協議中")
    community_issues.add_issue(store, "若者の居場所がない")
    entries = load_register(store)
    data = community_issues_pdf(entries, council="架空村社会福祉協議会", printed_by="田中 次郎")
    text = flat(data)
    assert f"令和8年度{TITLE}" in text and MARK in text and "架空村社会福祉協議会" in text
    assert "1．冬の移動手段がない" in text and "2．若者の居場所がない" in text  # being worked on comes first
    assert "ケース1件・地域活動1件・不足資源1件" in text and "ケース0件・地域活動0件・不足資源0件" in text
    assert "R8.11.20地域懇談会上町なるほど懇談会" in text and "町と乗合タクシーの冬季運行を協議中" in text
    assert "取組中（地区：上町" in text
    assert "山田" not in text and "冬の送迎がない" not in text  # no household, nor what its plan says
    assert export_detail("x.pdf", entries) == {"file": "x.pdf", "issues": [e.issue.id for e in entries]}


def test_an_empty_register_still_prints_its_title():
    text = flat(community_issues_pdf([], today=date(2027, 2, 1)))
    assert f"令和8年度{TITLE}" in text and "まだ登録されていません" in text
