"""DESIGN §2: imports point down; Qt only in ui/, SQL only in store/ (and sync/)."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "shakyo_desk"

BLOCK_QT = r"""
import importlib.abc, pkgutil, sys, importlib
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('Qt is not available here: ' + name)
sys.meta_path.insert(0, Block())
import shakyo_desk
names = [m.name for m in pkgutil.walk_packages(shakyo_desk.__path__, 'shakyo_desk.')
         if not m.name.startswith(('shakyo_desk.ui', 'shakyo_desk.__main__'))]
for name in names:
    importlib.import_module(name)
assert not any(k.startswith('PySide6') for k in sys.modules)
print(len(names))
"""


def test_everything_outside_ui_imports_without_qt():
    result = subprocess.run([sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 20  # the walk really found the modules


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_qt_only_in_ui_and_sqlalchemy_only_in_store_and_sync():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        roots = imported_roots(path)
        if roots & {"PySide6", "shiboken6"} and not rel.startswith("ui/"):
            offenders.append(f"{rel} imports Qt")
        if roots & {"sqlalchemy", "alembic", "sqlcipher3"} and not rel.startswith(("store/", "sync/")):
            offenders.append(f"{rel} imports the database layer directly")
    assert offenders == []


def test_domain_depends_on_nothing_above_it():
    for path in (PACKAGE / "domain").rglob("*.py"):
        source = path.read_text("utf-8")
        for layer in ("store", "sync", "reports", "ui", "demo", "cli"):
            assert f"shakyo_desk.{layer}" not in source, f"{path.name} reaches up into {layer}"


# ---- the module graph, imports inside functions included ---------------------------------

# Layer of each top-level part of the package: a module may import its own package and any
# lower layer, never a higher one nor a neighbour on its own layer (reports ↮ demo).
LAYERS = {"domain": 0, "sync": 1, "store": 2, "reports": 3, "demo": 3}
TOP = 4  # ui/, cli.py, cli_commands/, selftest.py, crash_report.py, __main__.py


def module_graph() -> dict[str, set[str]]:
    files = {p: ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
             for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    modules = set(files.values())
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path, module in files.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):  # ast.walk: function bodies too
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in modules:
                    name = name.rsplit(".", 1)[0] if "." in name else ""
                if name and name != module and not name.startswith(module + ".") and not module.startswith(name + "."):
                    graph[module].add(name)
    return graph


def _layer(module: str) -> tuple[str, int]:
    part = module.split(".")[1] if "." in module else "domain"  # the package's own __init__
    part = "domain" if part == "i18n" else part  # tr() is as basic as the domain
    return part, LAYERS.get(part, TOP)


def test_imports_point_down_the_layers():
    offenders = []
    for module, targets in module_graph().items():
        part, rank = _layer(module)
        for target in targets:
            other, other_rank = _layer(target)
            if other_rank > rank or (other_rank == rank < TOP and other != part):
                offenders.append(f"{module} → {target}")
    assert sorted(offenders) == []


def test_the_module_graph_has_no_cycle():
    from graphlib import CycleError, TopologicalSorter

    try:
        TopologicalSorter(module_graph()).prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle: {' → '.join(error.args[1])}") from None


def test_the_graph_sees_imports_inside_functions():
    graph = module_graph()
    # demo/village.py imports the store's models only inside its write steps.
    assert "shakyo_desk.store.models" in graph["shakyo_desk.demo.village"]


# ---- one clock -------------------------------------------------------------------------

# (spelled in parts, so that this file does not itself contain the calls it looks for)
WALL_CLOCK = tuple(f"{call}(" for call in ("date.today", "datetime.now", "datetime.utcnow", "datetime.today"))


def test_only_the_clock_reads_the_wall_clock():
    """Services, screens and tests ask shakyo_desk.domain.clock, which tests pin."""
    root = PACKAGE.parent
    allowed = {"shakyo_desk/domain/clock.py"}
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *(root / "tests").rglob("*.py")]:
        rel = path.relative_to(root).as_posix()
        text = path.read_text("utf-8")
        if rel not in allowed and any(call in text for call in WALL_CLOCK):
            offenders.append(rel)
    assert offenders == []
