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
