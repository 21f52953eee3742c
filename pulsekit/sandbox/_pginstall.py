"""Find the PostgreSQL server binaries and the unprivileged user the servers run as."""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pulsekit.errors import ConfigError, PostgresNotFoundError

MIN_MAJOR = 13
ENV_VAR = "PULSEKIT_POSTGRES_BIN"
INSTALL = "sudo apt-get install postgresql"
_TOOLS = ("initdb", "postgres", "pg_basebackup")


@dataclass(frozen=True)
class Install:
    """A PostgreSQL server installation: the folder of its binaries and its version."""

    bindir: Path
    major: int
    version: str

    def exe(self, name: str) -> str:
        return str(self.bindir / name)


@dataclass(frozen=True)
class RunAs:
    """The unprivileged user the servers run as (None fields: the current user)."""

    name: str
    uid: int | None = None
    gid: int | None = None


def _candidates() -> list[Path]:
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR])]

    def major(folder: str) -> int:
        found = re.search(r"postgresql/(\d+)/", folder)
        return int(found.group(1)) if found else 0

    dirs = [
        Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True)
    ]
    on_path = shutil.which("postgres")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    return dirs


def version_of(bindir: Path) -> tuple[int, str]:
    """``(major, "15.18")`` from ``postgres --version``."""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10
    ).stdout
    found = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not found:
        raise PostgresNotFoundError(
            f"{bindir}/postgres --version printed {out!r}; expected a version"
        )
    return int(found.group(1)), found.group(0)


def find() -> Install | None:
    """The newest installation with every tool the sandbox needs, or None."""
    for bindir in _candidates():
        if all((bindir / tool).is_file() for tool in _TOOLS):
            major, version = version_of(bindir)
            return Install(bindir, major, version)
    return None


def require() -> Install:
    """The installation, or PostgresNotFoundError naming the install command (also when too old)."""
    install = find()
    if install is None:
        where = os.environ.get(ENV_VAR) or "/usr/lib/postgresql/*/bin or PATH"
        raise PostgresNotFoundError(
            f"db='postgres' needs PostgreSQL {MIN_MAJOR}+ (initdb, postgres, pg_basebackup), "
            f"not found in {where}; install it with `{INSTALL}`, set {ENV_VAR}, "
            "or use db='embedded'"
        )
    if install.major < MIN_MAJOR:
        raise PostgresNotFoundError(
            f"PostgreSQL {install.version} in {install.bindir} is too old: the sandbox needs "
            f"{MIN_MAJOR} or newer; install a newer one with `{INSTALL}` or use db='embedded'"
        )
    return install


def run_as() -> RunAs:
    """PostgreSQL refuses to run as root: as root, Debian's ``postgres`` system user."""
    if os.geteuid() != 0:
        return RunAs(pwd.getpwuid(os.geteuid()).pw_name)
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresNotFoundError(
            "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; "
            f"`{INSTALL}` creates one, or run the sandbox as an ordinary user"
        ) from None
    return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)


def choose(db: str) -> str:
    """``db=`` resolved to "postgres" or "embedded" ("auto": postgres when it is installed)."""
    if db not in ("auto", "postgres", "embedded"):
        raise ConfigError(
            f"db={db!r} is not a database tier; use db='postgres', db='embedded' or db='auto'"
        )
    if db != "auto":
        return db
    try:
        require()
        run_as()
    except PostgresNotFoundError:
        return "embedded"
    return "postgres"
