"""A clone of the repository alone passes: nothing reads a path outside the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CODE = (".py", ".ipynb", ".sh", ".cfg", ".toml", ".yaml", ".yml", ".ini", ".j2")
CODE_NAMES = ("Makefile", "run")
# written in pieces so that this file does not match itself
_SHARED = "sha" + "red"
PATTERNS = [
    re.compile(r"\.\./+" + _SHARED + r"\b"),  # ../shared
    re.compile(r"""["']\s*/\s*["']?""" + _SHARED + r"""["']|/\s*["']""" + _SHARED + "[\"']"),
    re.compile(r"/work/" + _SHARED),
    re.compile(r"\b(?:REPO|ROOT|HERE)\w*\s*\.\s*parent\b"),  # the repository root's parent
]
_PARENTS = re.compile(r"parents\[(\d+)\]")
_UP = re.compile(r"(?:\.\./){2,}")


def tracked_files() -> list[Path]:
    """The files a clone would hold (tracked plus new, not ignored), or a walk without git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.SubprocessError):
        skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
        names = [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(REPO).parts)
        ]
    return [REPO / n for n in names if (REPO / n).is_file()]


def _text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":  # only the code cells run; outputs and prose do not
        cells = json.loads(text).get("cells", [])
        return "\n".join("".join(c.get("source", "")) for c in cells if c["cell_type"] == "code")
    return text


def escapes(path: Path) -> list[str]:
    """Lines of ``path`` that name a place outside the repository."""
    rel = path.relative_to(REPO)
    depth = len(rel.parts) - 1  # how many folders up the repository root is
    found = []
    for n, line in enumerate(_text(path).splitlines(), 1):
        bad = any(p.search(line) for p in PATTERNS)
        bad |= any(int(m.group(1)) > depth for m in _PARENTS.finditer(line) if path.suffix == ".py")
        bad |= any(len(m.group(0)) // 3 > depth for m in _UP.finditer(line))
        if bad:
            found.append(f"{rel}:{n}: {line.strip()[:120]}")
    return found


def test_no_file_reads_outside_the_repository() -> None:
    """No test, notebook, script, benchmark or config names ../shared or a folder above the root."""
    files = [
        p
        for p in tracked_files()
        if (p.suffix in CODE or p.name in CODE_NAMES) and p.resolve() != Path(__file__).resolve()
    ]
    assert len(files) > 100  # the scan really saw the repository
    offenders = [line for p in files for line in escapes(p)]
    assert offenders == [], "\n".join(offenders)


def test_the_scan_catches_the_usual_escapes(tmp_path: Path) -> None:
    """Each way of reaching outside the repository (the ways it has happened) is caught."""
    folder = REPO / "tests"
    bad = [
        'SAMPLE = REPO.parent / "' + _SHARED + '" / "data"',
        "open('../" + _SHARED + "/data/x.csv')",
        "Path(__file__).resolve().parents[2] / 'x'",  # tests/x.py: parents[1] is the root
        "open('../../x')",
    ]
    for i, line in enumerate(bad):
        probe = folder / f"_escape_probe_{os.getpid()}_{i}.py"
        try:
            probe.write_text(line + "\n")
            assert escapes(probe), line
        finally:
            probe.unlink(missing_ok=True)
    ok = folder / f"_escape_probe_{os.getpid()}_ok.py"
    try:
        ok.write_text("ROOT = Path(__file__).resolve().parents[1]\nopen('../README.md')\n")
        assert escapes(ok) == []
    finally:
        ok.unlink(missing_ok=True)


@pytest.mark.integration
def test_costs_sources_pass_from_a_copy_of_the_repository_alone(tmp_path: Path) -> None:
    """The cost-source tests (the full real FOCUS export included) pass in a lone copy of the files."""
    copy = tmp_path / "deep" / "clone"
    for src in tracked_files():
        dst = copy / src.relative_to(REPO)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/costs/test_sources.py",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout and "skipped" not in proc.stdout
    check = subprocess.run(
        [sys.executable, "-c", "import pulsekit; print(pulsekit.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # the copy's code ran, not this checkout's
    assert Path(check.stdout.strip()).is_relative_to(copy)
