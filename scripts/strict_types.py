"""``mypy --strict`` on pulsekit's public modules: the gate `make typecheck` (and a test) runs.

A public module is ``pulsekit/__init__.py``, ``errors.py``, ``_types.py`` (the shared names), the
top-level modules, and every module of a practice package whose name does not start with ``_``.
Private modules are followed silently: their types count, their own strictness is not required yet.

Run: ``.venv/bin/python scripts/strict_types.py`` (exit status 0 when clean, mypy's report otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pulsekit"
CACHE = ROOT / ".mypy_cache" / "strict"  # strict options differ: keep the default cache warm too


def public_modules() -> list[str]:
    """Paths (relative to the repository) of the modules the strict gate checks, sorted."""
    out = [PACKAGE / "_types.py"]
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if any(p.startswith("_") and p != "__init__.py" for p in parts):
            continue
        out.append(path)
    return sorted(str(p.relative_to(ROOT)) for p in out)


def check() -> tuple[int, str]:
    """Run mypy --strict on :func:`public_modules`; (exit status, report)."""
    from mypy import api

    args = ["--config-file", str(ROOT / "pyproject.toml"), "--strict", "--follow-imports=silent"]
    args += ["--cache-dir", str(CACHE), *(str(ROOT / m) for m in public_modules())]
    stdout, stderr, status = api.run(args)
    return status, stdout + stderr


if __name__ == "__main__":
    code, report = check()
    print(report, end="")
    sys.exit(code)
