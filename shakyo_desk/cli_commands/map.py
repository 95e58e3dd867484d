"""`map`: the 支え合いマップ of a district as PDF, or its nodes and ties as JSON (issue 19)."""

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput, UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("map", help="支え合いマップ（PDF）",
                              description="地区（集落を含む）の支え合いマップを PDF に書き出します。"
                                          "名前は伏せて番号で示します（--names は名前を載せてよい役割だけ）。"
                                          "--format json では、世帯・支え手・関係と、つながりのない世帯を表示します。")
    p.add_argument("--district", metavar="NAME", required=True, help="地区または集落の名前")
    p.add_argument("--out", metavar="FILE.pdf", default=None, help="書き出すPDFのファイル名（--format json のときは不要）")
    p.add_argument("--names", action="store_true", help="世帯と支え手の名前を載せる（コーディネーター・管理者、支え手全員の同意が必要）")
    p.add_argument("--paper", choices=["A3", "A4"], default="A3", help="用紙（横向き。既定：A3）")
    add_store_options(p)
    p.set_defaults(handler=run_map)


def _document(m) -> dict:
    return {
        "district_id": m.district_id, "district": m.district, "date": m.today, "names": m.names,
        "counts": m.counts,
        "areas": [{"id": a.id, "name": a.name} for a in m.areas],
        "households": [{"id": h.id, "number": h.number, "label": h.label, "area_id": h.area_id,
                        "flags": list(h.flags), "ties": h.ties, "no_tie": h.untied,
                        "relatives_away": h.relatives} for h in m.households],
        "supporters": [{"key": s.key, "label": s.label, "kind": s.kind, "area_id": s.area_id,
                        "registered": s.registered, "supporter_id": s.supporter_id, "households": s.households,
                        "many": s.many} for s in m.supporters],
        "ties": [{"id": t.id, "household_id": t.household_id, "supporter": t.supporter, "kind": t.kind,
                  "confirmed_on": t.confirmed_on, "stale": t.stale} for t in m.ties],
        "households_without_tie": [{"id": h.id, "number": h.number, "flags": list(h.flags)} for h in m.untied()],
    }


def run_map(ctx: Context) -> int:
    from shakyo_desk.reports.support_map_pdf import export_map
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.support_map import build_map, counts_text

    args = ctx.args
    out = Path(args.out).expanduser() if args.out else None
    if out is None and not ctx.json:
        raise InvalidInput("書き出すPDFのファイル名を --out で指定してください（JSONで見るときは --format json）。")
    if out is not None:
        if out.is_dir():
            raise InvalidInput(f"「{out}」はフォルダです。書き出すPDFのファイル名を指定してください。")
        if not out.parent.is_dir():
            raise InvalidInput(f"書き出し先のフォルダ「{out.parent}」がありません。フォルダを確かめてください。")
    with ctx.open_store() as store:
        district = find_district(store, args.district)
        if out is None:
            ctx.emit(_document(build_map(store, district.id, names=args.names)))
            return 0
        try:
            m = export_map(store, district.id, out, names=args.names, paper=args.paper)
        except OSError as error:
            raise UserError(f"PDFを書き出せませんでした（{error.strerror or type(error).__name__}）。"
                            "書き出し先と空き容量を確かめてください。") from None
    document = {"path": str(out), **_document(m)}
    ctx.emit(document, f"{out}（{m.district}の支え合いマップ：{counts_text(m)}）")
    return 0
