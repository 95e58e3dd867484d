"""Screens do not import each other: they go through ctx.navigator. No import cycle among the
ui modules, counting imports made inside functions (a cycle hidden in a function is still one)."""

import ast
from pathlib import Path

import shakyo_desk.ui

UI = Path(shakyo_desk.ui.__file__).parent


def ui_imports() -> dict[str, set[str]]:
    files = {p: "shakyo_desk.ui." + ".".join(p.relative_to(UI).with_suffix("").parts) for p in UI.rglob("*.py")}
    modules = {m.removesuffix(".__init__") for m in files.values()}
    graph: dict[str, set[str]] = {}
    for path, module in files.items():
        module = module.removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module and name != "shakyo_desk.ui":
                    found.add(name)
        graph[module] = found
    return graph


def cycle_from(graph, start):
    """A path start → … → start, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_no_import_cycle_among_ui_modules():
    graph = ui_imports()
    cycles = [c for c in (cycle_from(graph, m) for m in sorted(graph)) if c]
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_only_the_main_window_wires_the_navigator():
    graph = ui_imports()
    importers = sorted(m for m, deps in graph.items() if "shakyo_desk.ui.navigator" in deps)
    assert importers == ["shakyo_desk.ui.main_window"]


def test_screens_reach_each_other_only_through_the_navigator():
    graph = ui_imports()
    screens = {"shakyo_desk.ui." + m for m in ("household_editor", "timeline", "contact_entry", "conference_editor",
                                               "sheet_form", "pages.conflicts")}
    for screen in screens:
        others = graph[screen] & (screens - {screen})
        assert not others, f"{screen} imports {sorted(others)}"
