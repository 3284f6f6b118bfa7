"""The rules of the code's structure that import-linter and ruff do not check: module
length, SQL only in the logbook's storage modules, docstrings on the core classes, and
which modules may reach the simulator at all (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "detector"
MAX_MODULE_LINES = 450
# The logbook's storage, and the server's bulk writes: the only modules that speak SQL.
STORAGE = {"logbook/store.py", "logbook/schema.py", "logbook/index.py", "logbook/damage.py",
           "logbook/salvage.py", "server/bulk.py"}
SIMULATOR = ("detector.sim", "detector.hw.sim", "detector.rf.sim")
# Besides the simulator itself and evaluation: the command line's simulation entries
# (`detector scenarios`, `calibrate --sim`, `doctor --sim`) and the rfsim:// / rfxsim://
# pyserial URL handlers, which are how a client reaches a simulated scanner.
MAY_IMPORT_SIMULATOR = {"cli.py", "calibrate.py", "doctor.py", "rf/urlhandler/simport.py",
                        "rf/urlhandler/protocol_rfsim.py", "rf/urlhandler/protocol_rfxsim.py"}
CORE_CLASSES = {"session/machine.py": "InspectionMachine", "loop.py": "SweepLoop",
                "optics/pipeline.py": "LensDetector", "optics/tracking.py": "Tracker",
                "fusion.py": "Fusion", "rf/analysis.py": "RfAnalyzer"}


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def rel(path):
    return path.relative_to(PACKAGE).as_posix()


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_no_module_is_longer_than_the_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{rel(path)}: {lines} lines"


def test_sql_stays_in_the_logbooks_storage_modules():
    speaking = set()
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany",
                                                                 "executescript"):
                speaking.add(rel(path))
    assert speaking <= STORAGE, sorted(speaking - STORAGE)


def test_only_the_simulator_evaluation_and_named_entries_import_the_simulator():
    reaching = set()
    for path in modules():
        name = rel(path)
        if name.startswith(("sim/", "hw/sim/", "rf/sim/", "evaluation/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(m == s or m.startswith(s + ".") for m in imported(tree) for s in SIMULATOR):
            reaching.add(name)
    assert reaching <= MAY_IMPORT_SIMULATOR, sorted(reaching - MAY_IMPORT_SIMULATOR)


@pytest.mark.parametrize("module, cls", sorted(CORE_CLASSES.items()))
def test_core_classes_say_what_they_own(module, cls):
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls)
    doc = ast.get_docstring(node)
    assert doc and len(doc.split()) >= 12, f"{cls} needs a docstring saying what it owns"


def test_every_object_kind_of_the_scenario_format_has_its_emitter():
    from detector.sim.emissions import EMITTERS
    from detector.sim.scenario import OBJECT_KEYS

    assert set(EMITTERS) == set(OBJECT_KEYS)
