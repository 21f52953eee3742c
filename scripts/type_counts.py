"""Count what issue 17 §4 tracks: `Any` in public signatures, `dict[str, Any]`, function-level imports.

Run: ``.venv/bin/python scripts/type_counts.py`` (reads pulsekit/ only; prints one line per figure).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "pulsekit"
CYCLE_PACKAGES = ("observe", "costs", "incidents")


def _public(path: Path, name: str) -> bool:
    parts = path.relative_to(ROOT).with_suffix("").parts
    private_module = any(p.startswith("_") and p != "__init__" for p in parts)
    return not private_module and (not name.startswith("_") or name == "__init__")


def _signature_text(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    notes = [a.annotation for a in every if a is not None and a.annotation is not None]
    if node.returns is not None:
        notes.append(node.returns)
    return " ".join(ast.unparse(n) for n in notes)


def counts() -> dict[str, int]:
    any_sigs = dict_any = local_imports = local_internal = 0
    for path in sorted(ROOT.rglob("*.py")):
        seen: set[int] = set()  # an import inside nested functions counts once
        text = path.read_text(encoding="utf-8")
        dict_any += text.count("dict[str, Any]")
        tree = ast.parse(text)
        package = path.relative_to(ROOT).parts[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if _public(path, node.name) and "Any" in _signature_text(node):
                    any_sigs += 1
                if package in CYCLE_PACKAGES:
                    for sub in ast.walk(node):
                        if isinstance(sub, ast.Import | ast.ImportFrom) and id(sub) not in seen:
                            seen.add(id(sub))
                            local_imports += 1
                            mod = (
                                sub.module if isinstance(sub, ast.ImportFrom) else sub.names[0].name
                            )
                            if (mod or "").startswith("pulsekit") or (
                                isinstance(sub, ast.ImportFrom) and sub.level
                            ):
                                local_internal += 1
    return {
        "public signatures with Any": any_sigs,
        "dict[str, Any] occurrences": dict_any,
        "function-level imports in observe/costs/incidents": local_imports,
        "  of which pulsekit's own modules": local_internal,
    }


if __name__ == "__main__":
    for key, value in counts().items():
        print(f"{key}: {value}")
    sys.exit(0)
