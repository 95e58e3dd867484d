"""`stats`: the yearly (or monthly) figures, as readable text, one JSON document or CSV.

Small counts are always hidden here (``reports/stats_suppress.py``): whatever the command
prints can leave the council. JSON and CSV output, anything written with ``--out`` and the
report PDF (``--pdf FILE``) are recorded in the audit log as an export."""

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options, to_json
from shakyo_desk.domain.errors import InvalidInput

FORMATS = ("text", "json", "csv")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "stats", help="統計（年度・月ごとの件数）",
        description="訪問記録、サロン、把握シート、つなぎ、会議の件数を年度（または月）ごとに集計し、前年度"
                    "（前年同月）と比べます。個人が特定されないよう、少ない件数は伏せて表示します。")
    p.add_argument("--fiscal-year", metavar="YYYY", default=None,
                   help="集計する年度（西暦。2025 なら年度の開始月の2025年から1年間）")
    p.add_argument("--month", metavar="YYYY-MM", default=None, help="年度の代わりに1か月を集計（例：2025-04）")
    p.add_argument("--district", metavar="NAME", default=None, help="地区で絞り込み（その下の行政区・集落を含む）")
    p.add_argument("--out", metavar="FILE", default=None, help="標準出力の代わりにこのファイルに書き出す")
    p.add_argument("--encoding", metavar="utf-8|cp932", default=None,
                   help="CSVの文字コード（既定は BOM 付き UTF-8、cp932 は Shift_JIS）")
    p.add_argument("--pdf", metavar="FILE", default=None,
                   help="表の代わりに統計報告書（PDF：表とグラフ、少ない件数は伏せる）をこのファイルに書き出す")
    add_store_options(p, formats=FORMATS)
    p.set_defaults(handler=run)


def _fiscal_year(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) != 4:
        raise InvalidInput(f"年度「{text}」が正しくありません。西暦4桁で指定してください（例：--fiscal-year 2025）。")
    return int(value)


def _check_arguments(ctx: Context):
    from shakyo_desk.reports.stats_csv import check_target, encoding_name
    from shakyo_desk.store.services.stats import fiscal_year_period, parse_month

    args = ctx.args
    if args.fiscal_year and args.month:
        raise InvalidInput("--fiscal-year と --month は一緒に指定できません。どちらか一方で期間を指定してください。")
    if not args.fiscal_year and not args.month:
        raise InvalidInput("集計する期間を --fiscal-year YYYY（年度）か --month YYYY-MM（月）で指定してください。")
    year = _fiscal_year(args.fiscal_year) if args.fiscal_year else None
    if year is not None:
        fiscal_year_period(year)  # refuses an impossible year before the store is opened
    else:
        parse_month(args.month)
    if args.encoding and ctx.format != "csv":
        raise InvalidInput("--encoding は --format csv のときだけ指定できます。")
    encoding = encoding_name(args.encoding)
    if args.pdf and (args.out or ctx.format != "text"):
        raise InvalidInput("--pdf は --out・--format と一緒に指定できません。報告書のPDFか表のどちらかを選んでください。")
    out = check_target(Path(args.out)) if args.out else None
    pdf = check_target(Path(args.pdf), "PDF") if args.pdf else None
    return year, encoding, out, pdf


def run(ctx: Context) -> int:
    from shakyo_desk.reports.stats_csv import csv_bytes, export_detail, write_file
    from shakyo_desk.reports.stats_render import json_document, render, text_lines
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.exports import log_export
    from shakyo_desk.store.services.stats import NO_DATA_NOTE, compute_figures, council_fiscal_year, council_month

    year, encoding, out, pdf = _check_arguments(ctx)
    fmt = ctx.format
    with ctx.open_store() as store:
        period = council_fiscal_year(store, year) if year is not None else council_month(store, ctx.args.month)
        district_id = find_district(store, ctx.args.district).id if ctx.args.district else None
        figures = compute_figures(store, period, district_id=district_id)
        if pdf is not None:
            return _write_pdf(ctx, store, figures, pdf)
        rendered = render(figures)
        if fmt == "csv":
            data = csv_bytes(rendered, encoding=encoding)
        elif fmt == "json":
            data = (to_json(json_document(rendered)) + "\n").encode("utf-8")
        else:
            data = ("\n".join(text_lines(rendered)) + "\n").encode("utf-8")
        detail = export_detail(rendered, format=fmt, **({"encoding": encoding} if fmt == "csv" else {}))

        def record() -> None:
            log_export(store, "stats_csv" if fmt == "csv" else "stats", detail)

        if out is not None:
            detail["file"] = out.name
            write_file(out, data, record)
        elif fmt in ("json", "csv"):
            detail["to"] = "stdout"
            record()
    if figures.is_empty and (out is not None or fmt != "text"):
        ctx.note(NO_DATA_NOTE)
    if out is not None:
        hidden = f"、伏せた欄 {rendered.suppressed}" if rendered.suppressed else ""
        ctx.stdout.write(f"{out}（{period.label}の統計{hidden}）\n")
        return 0
    _write_stdout(ctx, data, "cp932" if fmt == "csv" and encoding == "cp932" else "utf-8-sig")
    return 0


def _write_pdf(ctx: Context, store, figures, path: Path) -> int:
    from shakyo_desk.reports.stats_pdf import export_pdf
    from shakyo_desk.store.services.stats import NO_DATA_NOTE

    report = export_pdf(store, figures, path)
    if figures.is_empty:
        ctx.note(NO_DATA_NOTE)
    hidden = f"、伏せた欄 {report.cells_hidden}" if report.cells_hidden else ""
    ctx.stdout.write(f"{report.path}（{figures.period.label}の統計報告書、{report.pages}ページ{hidden}）\n")
    return 0


def _write_stdout(ctx: Context, data: bytes, encoding: str) -> None:
    stream = ctx.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:  # a text-only stream (an embedding caller)
        stream.write(data.decode(encoding))
