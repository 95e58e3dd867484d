"""Screens do not import each other: they go through ctx.navigator (the package-wide graph and
its no-cycle rule are in tests/test_layers.py)."""

from tests.test_layers import module_graph

SCREENS = {"shakyo_desk.ui." + m for m in ("household_editor", "timeline", "contact_entry", "conference_editor",
                                           "sheet_form", "pages.conflicts")}


def test_only_the_main_window_wires_the_navigator():
    importers = sorted(m for m, deps in module_graph().items() if "shakyo_desk.ui.navigator" in deps)
    assert importers == ["shakyo_desk.ui.main_window"]


def test_screens_reach_each_other_only_through_the_navigator():
    graph = module_graph()
    for screen in SCREENS:
        others = graph[screen] & (SCREENS - {screen})
        assert not others, f"{screen} imports {sorted(others)}"
