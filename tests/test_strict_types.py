"""The type gate: ``mypy --strict`` passes on every public module (scripts/strict_types.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "strict_types", REPO / "scripts" / "strict_types.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gate_covers_every_public_module() -> None:
    """The facade, the shared types and each practice's public modules are checked; private ones not."""
    modules = set(_gate().public_modules())
    for path in [
        "pulsekit/__init__.py",
        "pulsekit/_types.py",
        "pulsekit/errors.py",
        "pulsekit/load/runner.py",
        "pulsekit/faults/proxy.py",
        "pulsekit/observe/slo.py",
        "pulsekit/costs/dataset.py",
        "pulsekit/vitals/result.py",
        "pulsekit/incidents/record.py",
        "pulsekit/gameday/runner.py",
        "pulsekit/sandbox/sandbox.py",
    ]:
        assert path in modules, path
    assert "pulsekit/load/_child.py" not in modules
    assert all((REPO / m).is_file() for m in modules)
    package_public = {
        str(p.relative_to(REPO))
        for p in (REPO / "pulsekit").rglob("*.py")
        if not any(part.startswith("_") and part != "__init__.py" for part in p.parts[-2:])
        and "/_" not in str(p.relative_to(REPO / "pulsekit").parent)
    }
    assert package_public <= modules  # a new public module joins the gate by itself


def test_mypy_strict_passes_on_public_modules() -> None:
    """mypy --strict reports no error in the public modules (the report is the failure message)."""
    status, report = _gate().check()
    assert status == 0, report
