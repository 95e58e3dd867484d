"""Issue 6: yearly statistics on the reference store (the figures of a 年度 and of the year
before, for the whole council), a month, one district, and the CSV export (suppression,
encoding, safe write, audit entry)."""

import tempfile
import time
from pathlib import Path

from shakyo_desk.domain.wareki import fiscal_year
from shakyo_desk.reports.stats_csv import export_csv
from shakyo_desk.reports.stats_pdf import export_pdf, stats_pdf_bytes
from shakyo_desk.reports.stats_render import render
from shakyo_desk.store.services import districts, stats
from shakyo_desk.store.services.council import get_settings

from .common import measure
from shakyo_desk.domain import clock

TARGET_MS = 2000.0


def bench_stats(ctx) -> list:
    store = ctx.store
    start_month = get_settings(store).fiscal_year_start_month
    today = clock.today()
    last_year = fiscal_year(today, start_month) - 1
    started = time.perf_counter()
    first = stats.yearly_figures(store, last_year)
    cold_ms = (time.perf_counter() - started) * 1000
    summary = first.table("summary")
    contacts = summary.value("contacts", "current")
    attendances = summary.value("attendances", "current")
    results = [measure(
        f"statistics: {first.period.label} and the year before, whole council (all tables)",
        lambda: stats.yearly_figures(store, last_year), ctx.repeat, TARGET_MS,
        note=f"{contacts:,} contacts, {attendances:,} attendances in the year; first call {cold_ms:.0f} ms")]
    results.append(measure(
        "statistics: the running 年度 (up to today) and the year before",
        lambda: stats.yearly_figures(store, last_year + 1), ctx.repeat, TARGET_MS))
    month = today.month - 1 or 12
    year = today.year if today.month > 1 else today.year - 1
    results.append(measure(f"statistics: one month ({year}-{month:02d}) and the same month a year before",
                           lambda: stats.monthly_figures(store, year, month), ctx.repeat, TARGET_MS))
    roots = [d for d in districts.list_districts(store) if d.depth == 0]
    results.append(measure(
        f"statistics: one 地区 with its 集落 ({roots[0].name}), a 年度",
        lambda: stats.yearly_figures(store, last_year, district_id=roots[0].id), ctx.repeat, TARGET_MS))
    rendered = render(first)
    results.append(measure("suppression and rendering of those figures (no database)",
                           lambda: render(first), ctx.repeat,
                           note=f"{rendered.suppressed} cells hidden"))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        made = []
        results.append(measure(
            "CSV export (cp932): suppress, encode, write safely, audit entry",
            lambda: made.append(export_csv(store, first, out / f"stats{len(made)}.csv", encoding="cp932")),
            ctx.repeat, note=""))
        results[-1].note = f"{made[-1].size / 1e3:.1f} kB"
        results.append(measure("report PDF of the 年度 (no database): tables and charts, font subset",
                               lambda: stats_pdf_bytes(rendered), ctx.repeat, TARGET_MS))
        reports = []
        results.append(measure(
            "report PDF export: suppress, render, write safely, audit entry",
            lambda: reports.append(export_pdf(store, first, out / f"report{len(reports)}.pdf")),
            ctx.repeat, TARGET_MS))
        results[-1].note = f"{reports[-1].pages} pages, {reports[-1].size / 1e3:.0f} kB"
    return results
