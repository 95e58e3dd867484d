"""What is recorded on an open case (issue 18): the 全方位型アセスメント (each participant's
view), the 支援プラン (versioned: goals with actions and review dates, 不足している社会資源)
and モニタリング per goal. Each writes through one store.write(); refusals change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.vocab import ACTION_WHO, MONITORING_PROGRESS
from shakyo_desk.store.models import (
    Agency, AssessmentView, MissingResource, Monitoring, Person, PlanAction, PlanGoal, Staff, SupportPlan,
)
from shakyo_desk.store.services._common import optional_text, parse_date, required_text
from shakyo_desk.store.services.cases import advance, live_case, require_case_worker, require_open
from shakyo_desk.store.store import Store

GOAL_GONE = "指定された目標が見つかりません。case show で目標のIDを確かめてください。"


@dataclass(frozen=True)
class ActionDraft:
    """One action of a goal: who (kind of vocab.ACTION_WHO and a name), what, by when.
    An agency is named as in the directory; a staff member by login or display name."""

    who_kind: str
    who: str
    what: str
    due_on: date | str | None = None


def _person(w, case: dict, person_id: str | None) -> str | None:
    if not person_id:
        return None
    person = w.require_alive(Person, person_id, "指定された世帯員が見つかりません。世帯員のIDを確かめてください。")
    if person["household_id"] != case["household_id"]:
        raise InvalidInput("指定された世帯員は、このケースの世帯の人ではありません。世帯員のIDを確かめてください。")
    return person_id


def add_assessment(store: Store, case_id: str, participant: str, *, organisation: str = "",
                   person_id: str | None = None, problem: str = "", strength: str = "", wish: str = "",
                   recorded_on: date | str | None = None, today: date | None = None) -> str:
    """One participant's view (課題, 強み, 本人の意向 in their own words) for a member or the household."""
    case = require_case_worker(store, case_id)
    require_open(case)
    today = today or clock.today()
    recorded_on = parse_date(recorded_on, "記録日") or today
    if recorded_on > today:
        raise InvalidInput("記録日が未来の日付になっています。今日までの日付を入力してください。")
    values = {"case_id": case_id, "household_id": case["household_id"], "recorded_on": recorded_on,
              "participant": required_text(participant, "発言した人", 100),
              "organisation": optional_text(organisation, "所属", 200),
              "problem": optional_text(problem, "課題", 8000), "strength": optional_text(strength, "強み", 8000),
              "wish": optional_text(wish, "本人の意向", 8000)}
    if not (values["problem"] or values["strength"] or values["wish"]):
        raise InvalidInput("課題・強み・本人の意向のどれか1つ以上を入力してください。")
    with store.write() as w:
        current = live_case(w, case_id)
        values["person_id"] = _person(w, current, person_id)
        view_id = w.insert(AssessmentView, values)
        advance(w, current, "アセスメント", recorded_on)
    return view_id


def _current_plan(conn, case_id: str) -> dict | None:
    row = conn.execute(sa.select(SupportPlan.__table__).where(
        SupportPlan.case_id == case_id, SupportPlan.deleted_at.is_(None))
        .order_by(SupportPlan.version.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def _ensure_plan(w, case: dict, today: date) -> dict:
    plan = _current_plan(w.conn, case["id"])
    if plan is None:
        plan_id = w.insert(SupportPlan, {"case_id": case["id"], "household_id": case["household_id"], "version": 1,
                                         "made_on": today, "policy": ""})
        plan = w.require_alive(SupportPlan, plan_id, "")
    return plan


PREFIXES = {"住民": "resident", "家族": "family", "本人": "family", "職員": "staff", "機関": "agency"}


def action_from_text(text: str, due_on: date | str | None = None) -> ActionDraft:
    """``WHO/WHAT`` as the CLI takes it. WHO may start with 住民: / 家族: / 職員: / 機関: (or be 本人);
    otherwise it is looked up among the agencies, then the staff (kind "")."""
    who, sep, what = (text or "").partition("/")
    if not sep or not what.strip():
        raise InvalidInput(f"役割「{text}」は「だれが/何をする」の形で書いてください（例：架空村地域包括支援センター/介護保険の申請）。")
    who = who.strip()
    head, colon, rest = who.replace("：", ":").partition(":")
    if colon and head in PREFIXES:
        return ActionDraft(PREFIXES[head], rest.strip(), what, due_on)
    if who == "本人":
        return ActionDraft("family", who, what, due_on)
    return ActionDraft("", who, what, due_on)


def _who(w, draft: ActionDraft) -> dict:
    kind = draft.who_kind
    if kind == "":  # look it up: an agency of the directory, else a staff member
        name = (draft.who or "").strip()
        if w.conn.execute(sa.select(Agency.id).where(Agency.name == name, Agency.deleted_at.is_(None))).first():
            kind = "agency"
        elif w.conn.execute(sa.select(Staff.id).where(sa.or_(Staff.login == name, Staff.display_name == name),
                                                      Staff.deleted_at.is_(None))).first():
            kind = "staff"
        else:
            raise InvalidInput(f"「{name}」は関係機関の一覧にも職員にもありません。関係機関なら先に登録し、"
                               "住民の支え手なら「住民:氏名」、本人・家族なら「本人」か「家族:氏名」と書いてください。")
    if kind not in ACTION_WHO:
        raise InvalidInput(f"役割を担う人の種類は次のいずれかにしてください：{'、'.join(ACTION_WHO.values())}")
    who = required_text(draft.who, "役割を担う人", 200)
    found = {"who_kind": kind, "who": who, "staff_id": None, "agency_id": None}
    if kind == "agency":
        agency = w.conn.execute(sa.select(Agency.id, Agency.name).where(
            Agency.name == who, Agency.deleted_at.is_(None))).first()
        if agency is None:
            raise InvalidInput(f"関係機関「{who}」は関係機関の一覧にありません。先に関係機関を登録するか、"
                               "一覧にある名前で指定してください。")
        found["agency_id"] = agency.id
    elif kind == "staff":
        staff = w.conn.execute(sa.select(Staff.id, Staff.display_name).where(
            sa.or_(Staff.login == who, Staff.display_name == who), Staff.deleted_at.is_(None))).first()
        if staff is None:
            raise InvalidInput(f"職員「{who}」が見つかりません。ログイン名か表示名で指定してください。")
        found["staff_id"], found["who"] = staff.id, staff.display_name
    return found


def add_goal(store: Store, case_id: str, text: str, review_on: date | str, *, person_id: str | None = None,
             actions: list[ActionDraft] = (), missing: list[str] = (), today: date | None = None) -> str:
    """A goal with its actions on the case's current plan (version 1 made if there is none);
    a review date today or later; actions due no earlier than today. Returns the goal id."""
    case = require_case_worker(store, case_id)
    require_open(case)
    today = today or clock.today()
    review_on = parse_date(review_on, "見直し日")
    if review_on is None:
        raise InvalidInput("見直し日を入力してください（--review YYYY-MM-DD）。")
    if review_on < today:
        raise InvalidInput("見直し日が過去の日付になっています。今日以降の日付を入力してください。")
    text = required_text(text, "目標", 4000)
    drafts = []
    for draft in actions:
        due = parse_date(draft.due_on, "期限")
        if due is not None and due < today:
            raise InvalidInput("役割の期限が過去の日付になっています。今日以降の日付を入力してください。")
        drafts.append((draft, due, required_text(draft.what, "役割（何をするか）", 2000)))
    missing = [required_text(m, "不足している社会資源", 2000) for m in missing if (m or "").strip()]
    with store.write() as w:
        current = live_case(w, case_id)
        person_id = _person(w, current, person_id)
        resolved = [(_who(w, draft), due, what) for draft, due, what in drafts]
        plan = _ensure_plan(w, current, today)
        order = w.conn.execute(sa.select(sa.func.count()).select_from(PlanGoal).where(
            PlanGoal.plan_id == plan["id"])).scalar_one()
        goal_id = w.insert(PlanGoal, {"plan_id": plan["id"], "case_id": case_id, "household_id": current["household_id"],
                                      "person_id": person_id, "text": text, "review_on": review_on,
                                      "sort_order": order})
        for who, due, what in resolved:
            w.insert(PlanAction, {"goal_id": goal_id, "case_id": case_id, "household_id": current["household_id"],
                                  **who, "what": what, "due_on": due})
        for text in missing:
            w.insert(MissingResource, {"case_id": case_id, "plan_id": plan["id"],
                                       "household_id": current["household_id"], "text": text})
        advance(w, current, "支援中", today)
    return goal_id


def add_missing_resource(store: Store, case_id: str, text: str, *, today: date | None = None) -> str:
    case = require_case_worker(store, case_id)
    require_open(case)
    text = required_text(text, "不足している社会資源", 2000)
    with store.write() as w:
        current = live_case(w, case_id)
        plan = _ensure_plan(w, current, today or clock.today())
        return w.insert(MissingResource, {"case_id": case_id, "plan_id": plan["id"],
                                          "household_id": current["household_id"], "text": text})


def set_policy(store: Store, case_id: str, policy: str, *, today: date | None = None) -> str:
    """The current plan's 支援方針 (long text: edits on two devices become a side-by-side conflict)."""
    case = require_case_worker(store, case_id)
    require_open(case)
    policy = optional_text(policy, "支援方針", 8000)
    with store.write() as w:
        current = live_case(w, case_id)
        plan = _ensure_plan(w, current, today or clock.today())
        w.update(SupportPlan, plan["id"], {"policy": policy})
        return plan["id"]


def revise_plan(store: Store, case_id: str, *, policy: str | None = None, today: date | None = None) -> str:
    """A new plan version: the goals not ended (achieved, stopped) and their actions are carried
    over as new rows (``from_goal_id`` names the earlier goal); the earlier version stays as it
    was, with its monitoring. Returns the new plan's id."""
    from shakyo_desk.domain.vocab import GOAL_ENDED

    case = require_case_worker(store, case_id)
    require_open(case)
    today = today or clock.today()
    with store.write() as w:
        current = live_case(w, case_id)
        old = _current_plan(w.conn, case_id)
        if old is None:
            raise InvalidInput("このケースにはまだプランがありません。まず目標を加えてください（plan add）。")
        new_policy = old["policy"] if policy is None else optional_text(policy, "支援方針", 8000)
        plan_id = w.insert(SupportPlan, {"case_id": case_id, "household_id": current["household_id"],
                                         "version": old["version"] + 1, "made_on": today, "policy": new_policy})
        goals = w.conn.execute(sa.select(PlanGoal.__table__).where(
            PlanGoal.plan_id == old["id"], PlanGoal.deleted_at.is_(None)).order_by(PlanGoal.sort_order)).mappings().all()
        for goal in goals:
            last = w.conn.execute(sa.select(Monitoring.progress).where(
                Monitoring.goal_id == goal["id"], Monitoring.deleted_at.is_(None))
                .order_by(Monitoring.monitored_on.desc(), Monitoring.created_at.desc()).limit(1)).scalar()
            if last in GOAL_ENDED:
                continue
            new_goal = w.insert(PlanGoal, {"plan_id": plan_id, "case_id": case_id,
                                           "household_id": current["household_id"], "person_id": goal["person_id"],
                                           "text": goal["text"], "review_on": max(goal["review_on"], today),
                                           "from_goal_id": goal["id"], "sort_order": goal["sort_order"]})
            for action in w.conn.execute(sa.select(PlanAction.__table__).where(
                    PlanAction.goal_id == goal["id"], PlanAction.deleted_at.is_(None))).mappings():
                w.insert(PlanAction, {k: action[k] for k in ("case_id", "household_id", "who_kind", "who", "staff_id",
                                                             "agency_id", "what", "due_on")} | {"goal_id": new_goal})
        return plan_id


def record_monitoring(store: Store, case_id: str, goal_id: str, monitored_on: date | str, progress: str, *,
                      note: str = "", next_review_on: date | str | None = None, today: date | None = None) -> str:
    case = require_case_worker(store, case_id)
    require_open(case)
    today = today or clock.today()
    monitored_on = parse_date(monitored_on, "モニタリングの日")
    if monitored_on is None:
        raise InvalidInput("モニタリングの日を入力してください（--date YYYY-MM-DD）。")
    if monitored_on > today:
        raise InvalidInput("モニタリングの日が未来の日付になっています。今日までの日付を入力してください。")
    if progress not in MONITORING_PROGRESS:
        labels = {v: k for k, v in MONITORING_PROGRESS.items()}
        if progress not in labels:
            raise InvalidInput("進み具合は次のいずれかにしてください：" + "、".join(
                f"{code}（{label}）" for code, label in MONITORING_PROGRESS.items()))
        progress = labels[progress]
    next_review_on = parse_date(next_review_on, "次の見直し日")
    if next_review_on is not None and next_review_on < today:
        raise InvalidInput("次の見直し日が過去の日付になっています。今日以降の日付を入力してください。")
    note = optional_text(note, "メモ", 8000)
    with store.write() as w:
        current = live_case(w, case_id)
        goal = w.require_alive(PlanGoal, goal_id, GOAL_GONE)
        if goal["case_id"] != case_id:
            raise NotFound(GOAL_GONE)
        plan = w.require_alive(SupportPlan, goal["plan_id"], GOAL_GONE)
        if monitored_on < plan["made_on"]:
            raise InvalidInput(f"モニタリングの日が、プランを作った日（{plan['made_on'].isoformat()}）より前になっています。"
                               "プランを作った日以降の日付を入力してください。")
        record_id = w.insert(Monitoring, {"goal_id": goal_id, "case_id": case_id, "household_id": current["household_id"],
                                          "monitored_on": monitored_on, "progress": progress, "note": note,
                                          "next_review_on": next_review_on})
        advance(w, current, "モニタリング", monitored_on)
    return record_id
