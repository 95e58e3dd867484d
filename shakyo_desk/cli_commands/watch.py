"""`watch list|route`: the 見守り households due for a contact, as a list or a route PDF."""

from datetime import date

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput, UserError
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.domain import clock


def register(subparsers) -> None:
    group = subparsers.add_parser("watch", help="見守りの予定（訪問が必要な世帯）",
                                  description="見守りの予定日が来た（または過ぎた）世帯を一覧にし、訪問予定リストを作ります。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("list", help="予定日が来た世帯の一覧",
                       description="指定した日（省略時は今日）までに見守りの予定日が来る世帯を、遅れている順に表示します。")
    p.add_argument("--until", metavar="YYYY-MM-DD", default=None, help="この日までに予定日が来る世帯（省略時は今日）")
    p.add_argument("--district", metavar="NAME", default=None, help="地区で絞り込み")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("route", help="訪問予定リスト（PDF）を作ります",
                       description="指定した日（省略時は今日）に訪問する世帯の一覧を、持ち歩ける A4のPDFにします。"
                                   "個人情報が載るので、使い終わったら処分してください。")
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="書き出すPDFファイル")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="訪問する日（省略時は今日）")
    p.add_argument("--district", metavar="NAME", default=None, help="地区で絞り込み")
    add_store_options(p, formats=("text", "json"))
    p.set_defaults(handler=run_route)


def _day(value: str | None, label: str) -> date:
    if not value:
        return clock.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}の日付「{value}」が正しくありません。YYYY-MM-DD の形で指定してください。") from None


def due_json(row, today: date) -> dict:
    return {
        "household_id": row.household_id, "name": row.head_name, "kana": row.head_kana,
        "district_id": row.district_id, "district": row.district, "address": row.address, "phone": row.phone,
        "flags": list(row.flags), "watch_level": row.watch_level, "last_contact": row.last_contact,
        "last_attempt": row.last_attempt, "due": row.due, "overdue_days": row.overdue_days(today),
        "next_action": row.next_action,
    }


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.watch import due_list

    until = _day(ctx.args.until, "--until")
    with ctx.open_store() as store:
        district_id = find_district(store, ctx.args.district).id if ctx.args.district else None
        rows = due_list(store, until, district_id=district_id)
    if ctx.json:
        ctx.emit([due_json(r, until) for r in rows])
        return 0
    if not rows:
        ctx.emit(None, f"{format_wareki(until)}までに訪問の予定日が来る世帯はありません。")
        return 0
    lines = [f"{format_wareki(until)}までに訪問の予定日が来る世帯 {len(rows)}件"]
    for r in rows:
        days = r.overdue_days(until)
        late = f"{days}日過ぎ" if days > 0 else ("予定日" if days == 0 else f"あと{-days}日")
        last = format_wareki(r.last_contact) if r.last_contact else "記録なし"
        lines.append(f"  {format_wareki(r.due)}（{late}）　{r.head_name}　{r.district or '地区なし'}　前回：{last}")
        if r.next_action:
            lines.append(f"      確認すること：{r.next_action}")
        lines.append(f"      ID: {r.household_id}")
    ctx.emit(None, lines)
    return 0


def run_route(ctx: Context) -> int:
    from pathlib import Path

    from shakyo_desk.reports.route_pdf import route_export_detail, write_route_pdf
    from shakyo_desk.store.services.exports import log_export
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.watch import due_list

    day = _day(ctx.args.date, "--date")
    out = Path(ctx.args.out).expanduser()
    if out.is_dir():
        raise InvalidInput(f"「{out}」はフォルダです。書き出すPDFのファイル名を指定してください。")
    if not out.parent.is_dir():
        raise InvalidInput(f"書き出し先のフォルダ「{out.parent}」がありません。フォルダを確かめてください。")
    with ctx.open_store() as store:
        district_id = find_district(store, ctx.args.district).id if ctx.args.district else None
        rows = due_list(store, day, district_id=district_id)
        council = get_settings(store).name
        staff = store.actor.display_name
        try:
            write_route_pdf(out, council, day, rows, staff)
        except OSError as error:
            raise UserError(f"PDFを書き出せませんでした（{error.strerror or type(error).__name__}）。"
                            "書き出し先と空き容量を確かめてください。") from None
        log_export(store, "route_pdf", route_export_detail(out, day, rows))
    ctx.emit({"path": str(out), "households": len(rows), "date": day},
             f"{out}（{format_wareki(day, weekday=True)}の訪問予定 {len(rows)}世帯）")
    return 0
