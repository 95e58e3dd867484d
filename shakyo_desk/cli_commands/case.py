"""`case open|list|show|assess|monitor|close|reopen`: 支援ケース (issue 18)."""

from dataclasses import asdict

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import MONITORING_PROGRESS
from shakyo_desk.domain.wareki import format_wareki


def register(subparsers) -> None:
    group = subparsers.add_parser("case", help="支援ケース", description="支援ケース（受付から終結まで）を扱います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("open", help="支援ケースを開始し、そのIDを表示します",
                       description="世帯の支援ケースを開始します。把握シートから開くときは --sheet を指定します。")
    p.add_argument("--household", metavar="ID", required=True, help="世帯のID")
    p.add_argument("--sheet", metavar="SHEET_ID", action="append", default=[], help="もとになった把握シートのID（何度でも）")
    p.add_argument("--assignee", metavar="LOGIN", default=None, help="担当職員のログイン名")
    p.add_argument("--lead-agency", metavar="NAME", default=None, help="主担当機関（関係機関の一覧にある名前）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="受付日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_open)

    p = sub.add_parser("list", help="支援ケースの一覧", description="見てよい支援ケースを表示します。")
    p.add_argument("--status", choices=("open", "closed"), default=None, help="open＝支援中のもの、closed＝終結したもの")
    p.add_argument("--review-due", action="store_true", help="見直し日が今日か、過ぎているものだけ")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("show", help="支援ケースの内容", description="アセスメント、プランの各版、モニタリング、評価を表示します。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    add_store_options(p)
    p.set_defaults(handler=run_show)

    p = sub.add_parser("assess", help="全方位型アセスメントに1人の見立てを加えます",
                       description="参加者1人の見立て（課題・強み・本人の意向）を、世帯員ごと（--person）か世帯全体に加えます。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    p.add_argument("--person", metavar="PERSON_ID", default=None, help="世帯員のID（省略時は世帯全体）")
    p.add_argument("--by", metavar="NAME/ORG", required=True, help="発言した人と所属（例：架空 太郎/民生委員）")
    p.add_argument("--problem", metavar="TEXT", default="", help="課題")
    p.add_argument("--strength", metavar="TEXT", default="", help="強み")
    p.add_argument("--wish", metavar="TEXT", default="", help="本人の意向（本人の言葉で）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="記録日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_assess)

    p = sub.add_parser("monitor", help="目標のモニタリングを記録します",
                       description="目標ごとに、日付・進み具合・メモ・次の見直し日を記録します。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    p.add_argument("--goal", metavar="GOAL_ID", required=True, help="目標のID")
    p.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="モニタリングの日")
    p.add_argument("--progress", choices=tuple(MONITORING_PROGRESS), required=True,
                   help="、".join(f"{c}＝{label}" for c, label in MONITORING_PROGRESS.items()))
    p.add_argument("--note", metavar="TEXT", default="", help="メモ")
    p.add_argument("--next-review", metavar="YYYY-MM-DD", default=None, help="次の見直し日")
    add_store_options(p)
    p.set_defaults(handler=run_monitor)

    p = sub.add_parser("close", help="評価を記録してケースを終結します",
                       description="終結の理由と評価を記録します。--community-issue で地域課題を台帳に挙げられます。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    p.add_argument("--reason", metavar="TEXT", required=True, help="終結の理由")
    p.add_argument("--evaluation", metavar="TEXT", required=True, help="評価（世帯に何が変わったか）")
    p.add_argument("--worked", metavar="TEXT", default="", help="うまくいったこと")
    p.add_argument("--community-issue", metavar="TEXT", default="", help="このケースが示す地域課題")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="終結日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_close)

    p = sub.add_parser("reopen", help="終結したケースを再開します", description="これまでの記録を残したまま、ケースを再開します。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    p.add_argument("--note", metavar="TEXT", default="", help="再開の理由")
    add_store_options(p)
    p.set_defaults(handler=run_reopen)


def run_open(ctx: Context) -> int:
    from shakyo_desk.store.services import cases

    a = ctx.args
    with ctx.open_store() as store:
        assignee = cases.staff_by_login(store, a.assignee) if a.assignee else None
        agency = cases.agency_by_name(store, a.lead_agency) if a.lead_agency else None
        case_id = cases.open_case(store, a.household, sheet_ids=a.sheet, assignee_id=assignee, lead_agency_id=agency,
                                  opened_on=a.date)
    ctx.emit({"id": case_id}, case_id)
    return 0


def _day(value) -> str:
    return format_wareki(value) if value else "なし"


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.case_views import list_cases

    with ctx.open_store() as store:
        rows = list_cases(store, status=ctx.args.status, review_due=ctx.args.review_due)
    lines = [f"{c.id}　{c.household_name}　{c.status}　担当：{c.assignee or 'なし'}　次の見直し：{_day(c.next_review_on)}"
             for c in rows] or ["該当する支援ケースはありません。"]
    ctx.emit({"cases": [asdict(c) for c in rows]}, lines)
    return 0


def run_show(ctx: Context) -> int:
    from shakyo_desk.store.services.case_views import get_case

    with ctx.open_store() as store:
        detail = get_case(store, ctx.args.id)
    ctx.emit(asdict(detail), _show_text(detail))
    return 0


def _show_text(d) -> list[str]:
    s = d.summary
    lines = [f"支援ケース {s.id}", f"世帯：{s.household_name}　状況：{s.status}　受付日：{_day(s.opened_on)}",
             f"担当：{s.assignee or 'なし'}　主担当機関：{s.lead_agency or 'なし'}　次の見直し：{_day(s.next_review_on)}",
             "経過：" + " → ".join(f"{h.status}（{_day(h.changed_on)}）" for h in d.history)]
    if d.assessment:
        lines.append("【アセスメント】")
        for v in d.assessment:
            lines.append(f"・{v.participant}{'（' + v.organisation + '）' if v.organisation else ''}"
                         f"　{v.person or '世帯全体'}　{_day(v.recorded_on)}")
            lines += [f"　　{label}：{text}" for label, text in (("課題", v.problem), ("強み", v.strength),
                                                              ("本人の意向", v.wish)) if text]
    for plan in d.plans:
        lines.append(f"【支援プラン 第{plan.version}版（{_day(plan.made_on)}）】{plan.policy}")
        for g in plan.goals:
            lines.append(f"・目標 {g.id}：{g.text}（{g.person or '世帯全体'}、見直し：{_day(g.next_review_on)}）")
            lines += [f"　　役割：{a.who}（{a.who_label}）が{a.what}" + (f"（{_day(a.due_on)}まで）" if a.due_on else "")
                      for a in g.actions]
            lines += [f"　　モニタリング {_day(c.monitored_on)}：{c.progress_label}　{c.note}" for c in g.monitoring]
        lines += [f"　不足している社会資源：{m}" for m in plan.missing_resources]
    for e in d.evaluations:
        lines.append(f"【終結 {_day(e.closed_on)}】理由：{e.reason}　評価：{e.changes}" + (f"　うまくいったこと：{e.worked}" if e.worked else ""))
    return lines


def _by(text: str) -> tuple[str, str]:
    name, _, org = (text or "").partition("/")
    return name.strip(), org.strip()


def run_assess(ctx: Context) -> int:
    from shakyo_desk.store.services.case_plans import add_assessment

    a = ctx.args
    name, org = _by(a.by)
    with ctx.open_store() as store:
        view_id = add_assessment(store, a.id, name, organisation=org, person_id=a.person, problem=a.problem,
                                 strength=a.strength, wish=a.wish, recorded_on=a.date)
    ctx.emit({"id": view_id}, view_id)
    return 0


def run_monitor(ctx: Context) -> int:
    from shakyo_desk.store.services.case_plans import record_monitoring

    a = ctx.args
    with ctx.open_store() as store:
        record_id = record_monitoring(store, a.id, a.goal, a.date, a.progress, note=a.note,
                                      next_review_on=a.next_review)
    ctx.emit({"id": record_id}, record_id)
    return 0


def run_close(ctx: Context) -> int:
    from shakyo_desk.store.services.cases import close_case

    a = ctx.args
    with ctx.open_store() as store:
        evaluation_id = close_case(store, a.id, a.reason, a.evaluation, worked=a.worked,
                                   community_issue=a.community_issue, closed_on=a.date)
    ctx.emit({"id": a.id, "evaluation_id": evaluation_id}, "ケースを終結しました。")
    return 0


def run_reopen(ctx: Context) -> int:
    from shakyo_desk.store.services.cases import reopen_case

    with ctx.open_store() as store:
        reopen_case(store, ctx.args.id, ctx.args.note)
    ctx.emit({"id": ctx.args.id, "reopened": True}, "ケースを再開しました。")
    return 0
