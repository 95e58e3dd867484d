"""Issue 19 targets (docs/performance.md): the 支え合いマップ of the reference store's biggest
district (a 地区 with its 集落: the most households and ties on one map).

- On screen: the map service (three reads), the networkx layout and the QGraphicsScene built
  from it, offscreen, as the 地域 page's tab does after choosing the district. Target 500 ms.
- Its PDF (A3, minimised): the same map and layout drawn with reportlab, written atomically and
  logged as an export. Target 2 s.
- The whole council's 「つながりなし」 list (``ties.households_without_tie``). Target 300 ms.

Runs on any store: with no ties (a reference store made before the generator recorded them)
the maps hold the elderly households alone; the note says how many nodes and ties were drawn."""

import gc
import tempfile
from pathlib import Path

from shakyo_desk.reports.support_map_pdf import export_map, map_layout
from shakyo_desk.store.services import districts, support_map, ties

from .common import Result, measure

SCREEN_TARGET_MS = 500.0
PDF_TARGET_MS = 2000.0
UNTIED_TARGET_MS = 300.0


def _biggest(store) -> tuple[str, str, support_map.SupportMap]:
    best = None
    for d in districts.list_districts(store):
        if d.parent_id is not None:
            continue
        m = support_map.build_map(store, d.id)
        size = len(m.households) + len(m.supporters) + len(m.ties)
        if best is None or size > best[0]:
            best = (size, d.id, d.name, m)
    return best[1], best[2], best[3]


def bench_map(ctx) -> list[Result]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from shakyo_desk.ui.refcounts import pin_singletons
    from shakyo_desk.ui.support_map_view import build_scene

    pin_singletons()  # as the app does: thousands of items' Qt calls would use up None's references on 3.11
    app = QApplication.instance() or QApplication([])  # kept: a QApplication nobody holds is deleted at once
    store = ctx.store
    district_id, name, m = _biggest(store)
    note = (f"{name}: {len(m.households)} households, {len(m.supporters)} supporters, {len(m.ties)} ties, "
            f"{len(m.areas)} 集落")
    scenes = []

    def on_screen():
        built = support_map.build_map(store, district_id)
        scenes.append(build_scene(built, map_layout(built)))
        scenes.pop(0) if len(scenes) > 1 else None

    screen = measure("支え合いマップ on screen: biggest district (service + layout + scene)", on_screen,
                     ctx.repeat, SCREEN_TARGET_MS, note=note)
    layout_only = measure("支え合いマップ: its layout alone (networkx, 集落 → parts → members)",
                          lambda: map_layout(m), ctx.repeat, None, note=note)
    with tempfile.TemporaryDirectory() as folder:
        made = []

        def pdf():
            out = Path(folder) / f"map{len(made)}.pdf"
            export_map(store, district_id, out)
            made.append(out)

        paper = measure("支え合いマップ PDF: biggest district, A3 (build, layout, draw, write, audit)", pdf,
                        ctx.repeat, PDF_TARGET_MS)
        paper.note = f"{note}; {made[-1].stat().st_size / 1e6:.2f} MB"
    untied = measure("つながりなし: the whole council's list (households_without_tie)",
                     lambda: ties.households_without_tie(store), ctx.repeat, UNTIED_TARGET_MS,
                     note=f"{len(ties.households_without_tie(store))} households")
    scenes.clear()  # the scene and its items go now, while the QApplication is alive
    gc.collect()
    app.processEvents()
    return [screen, layout_only, paper, untied]
