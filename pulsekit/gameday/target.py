"""A GameDay target that is not the sandbox: a staging system's URL, its Toxiproxy, its Prometheus
and shell commands (or Chaos Toolkit python actions) that kill, restart, freeze and thaw its services.

In the spec or in a file of its own (``target: staging.yaml``, CLI ``--target FILE``)::

    url: http://staging.example.com          # allow-listed: allow:, --allow or PULSEKIT_ALLOW_HOSTS
    toxiproxy: http://toxiproxy.staging:8474  # link names = its proxy names
    prometheus: http://prometheus.staging:9090
    allow: [staging.example.com, toxiproxy.staging, prometheus.staging]
    command_timeout: 60s
    services:
      db-replica-1: {kill: "kubectl delete pod -l app=db-replica-1", restart: "..."}

:func:`preflight` checks everything that can be checked before a run starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulsekit._util import check_host_allowed, parse_duration
from pulsekit.errors import ConfigError, NotAllowedError, SpecError, TargetError

TARGET_KEYS = ("url", "toxiproxy", "prometheus", "services", "allow", "command_timeout")
SERVICE_KEYS = ("kill", "restart", "freeze", "thaw")
CTK_KEYS = ("module", "func", "arguments")
# the command a step needs on its service, and the one its rollback needs
NEEDS: dict[str, tuple[str, ...]] = {
    "kill": ("kill",),
    "restart": ("restart",),
    "freeze": ("freeze", "thaw"),
    "thaw": ("thaw",),
}


@dataclass(frozen=True)
class ServiceAction:
    """A shell ``command``, or a Chaos Toolkit style python action ``module.func(**arguments)``."""

    command: str | None = None
    module: str | None = None
    func: str | None = None
    arguments: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        if self.command is not None:
            return self.command
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments)
        return f"{self.module}.{self.func}({args})"


@dataclass(frozen=True)
class StagingTarget:
    """A real system to run a GameDay against (see the module docstring)."""

    url: str
    toxiproxy: str | None = None
    prometheus: str | None = None
    services: Mapping[str, Mapping[str, ServiceAction]] = field(default_factory=dict)
    allow: tuple[str, ...] = ()
    command_timeout_s: float = 60.0
    path: Path | None = None


def read_target(value: Any, *, where: str, base: Path | None) -> StagingTarget | None:
    """None for ``sandbox``; a StagingTarget from a mapping or a target file's path."""
    if value == "sandbox" or value is None:
        return None
    path: Path | None = None
    if isinstance(value, str | Path) and not str(value).startswith(("http://", "https://")):
        import yaml

        path = Path(value)
        path = path if path.is_absolute() or base is None else base / path
        if not path.is_file():
            raise SpecError(
                f"{where}: target {str(value)!r} is neither sandbox, a mapping nor an existing "
                "target file; give target: sandbox, target: {url: ...} or a path to a target YAML"
            )
        where = str(path)
        try:
            value = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise SpecError(f"{where} is not YAML ({exc}); fix the syntax") from None
    if not isinstance(value, Mapping):
        raise SpecError(
            f"{where}: target {value!r} must be sandbox, {{url: http://127.0.0.1:8080, ...}} "
            "or a target file"
        )
    return parse_target(value, where=where if path else f"{where}: target", path=path)


def parse_target(raw: Mapping[str, Any], *, where: str, path: Path | None = None) -> StagingTarget:
    def fail(key: str, problem: str) -> None:
        raise SpecError(f"{where}.{key} {problem}" if path is None else f"{where}: {key} {problem}")

    for key in raw:
        if key not in TARGET_KEYS:
            fail(str(key), f"is not a known key; use one of {', '.join(TARGET_KEYS)}")
    urls: dict[str, str | None] = {}
    for key in ("url", "toxiproxy", "prometheus"):
        value = raw.get(key)
        if value is None and key != "url":
            urls[key] = None
            continue
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            fail(key, f"{value!r} must be an http(s) URL like http://127.0.0.1:8080")
        urls[key] = str(value).rstrip("/")
    allow = raw.get("allow") or []
    if not isinstance(allow, list) or not all(isinstance(h, str) and h for h in allow):
        fail("allow", f"{allow!r} must be a list of host names, e.g. [staging.example.com]")
    timeout = raw.get("command_timeout", 60)
    try:
        timeout_s = parse_duration(timeout, field="command_timeout")
    except ConfigError:
        timeout_s = 0.0
    if not 0 < timeout_s <= 600:
        fail("command_timeout", f"{timeout!r} must be a duration above 0 and at most 10m")
    services = raw.get("services") or {}
    if not isinstance(services, Mapping):
        fail("services", 'must map service names to {kill: "cmd", restart: "cmd", ...}')
    parsed: dict[str, dict[str, ServiceAction]] = {}
    for name, actions in services.items():
        key = f"services.{name}"
        if not isinstance(actions, Mapping) or not actions:
            fail(
                key,
                f'must map actions ({", ".join(SERVICE_KEYS)}) to commands, e.g. {{kill: "cmd"}}',
            )
        parsed[str(name)] = {}
        for action, spec in actions.items():
            if action not in SERVICE_KEYS:
                fail(f"{key}.{action}", f"is not an action; use one of {', '.join(SERVICE_KEYS)}")
            parsed[str(name)][str(action)] = _action(spec, f"{key}.{action}", fail)
    return StagingTarget(
        url=str(urls["url"]),
        toxiproxy=urls["toxiproxy"],
        prometheus=urls["prometheus"],
        services=parsed,
        allow=tuple(allow),
        command_timeout_s=timeout_s,
        path=path,
    )


def _action(spec: Any, key: str, fail: Any) -> ServiceAction:
    if isinstance(spec, str) and spec.strip():
        return ServiceAction(command=spec)
    if isinstance(spec, Mapping) and set(spec) <= set(CTK_KEYS) and "module" in spec:
        args = spec.get("arguments") or {}
        ok = isinstance(spec.get("func"), str) and isinstance(args, Mapping)
        if ok:
            return ServiceAction(
                module=str(spec["module"]),
                func=str(spec["func"]),
                arguments=tuple(sorted((str(k), v) for k, v in args.items())),
            )
    fail(
        key,
        f"{spec!r} must be a shell command string or a Chaos Toolkit python action "
        "{module: M, func: F, arguments: {...}}",
    )
    raise AssertionError  # unreachable


def check_step(target: StagingTarget, action: str, name: str, key: str) -> None:
    """A service step's service must have the commands it (and its rollback) needs."""
    if action in NEEDS:
        service = target.services.get(name)
        if service is None:
            known = ", ".join(target.services) or "(none: add services: to the target)"
            raise SpecError(
                f"{key}.target {name!r} is not a service of the target; use one of {known}"
            )
        for needed in NEEDS[action]:
            if needed not in service:
                why = "to undo the freeze" if needed != action else f"for the {action} step"
                raise SpecError(
                    f"{key}: service {name!r} has no {needed} command {why}; add "
                    f'services: {{{name}: {{{needed}: "..."}}}} to the target'
                )
    elif target.toxiproxy is None:
        raise SpecError(
            f"{key}: {action} on link {name!r} needs a Toxiproxy; add toxiproxy: URL to the target"
        )


def preflight(
    target: StagingTarget,
    links: set[str],
    allow: tuple[str, ...] = (),
    *,
    slo_service: str | None = None,
) -> None:
    """Before anything starts: every URL allow-listed and answering, every link on the Toxiproxy,
    the SLO's service a job of the Prometheus, every python action importable. Raises
    NotAllowedError or TargetError naming the fix."""
    hosts = (*target.allow, *allow)
    for what, url in (
        ("target url", target.url),
        ("target toxiproxy", target.toxiproxy),
        ("target prometheus", target.prometheus),
    ):
        if url is not None:
            try:
                check_host_allowed(url, allow=hosts, what=what)
            except NotAllowedError as exc:
                raise NotAllowedError(
                    f"{exc} (or list it under the target's allow:); nothing was started"
                ) from None
    _answers(target.url, "", "target url", "is the system up and the URL right?")
    if target.toxiproxy is not None:
        _answers(target.toxiproxy, "/version", "target toxiproxy", "is Toxiproxy running there?")
        from pulsekit.faults._http import call

        have = set(call(target.toxiproxy, "GET", "/proxies", timeout=5.0).body or {})
        missing = sorted(links - have)
        if missing:
            raise TargetError(
                f"target toxiproxy {target.toxiproxy} has no link {', '.join(map(repr, missing))}; "
                f"its proxies are: {', '.join(sorted(have)) or '(none)'}; create it there or fix "
                "the step's target; nothing was started"
            )
    if target.prometheus is not None:
        _answers(target.prometheus, "/-/ready", "target prometheus", "is Prometheus running there?")
        if slo_service is not None:
            _scraped(target.prometheus, slo_service)
    for name, actions in target.services.items():
        for action, spec in actions.items():
            if spec.module is not None and not _importable(spec.module):
                raise TargetError(
                    f"target services.{name}.{action}: python module {spec.module!r} is not "
                    "installed (e.g. pip install chaostoolkit-kubernetes); nothing was started"
                )


def _scraped(prometheus: str, service: str) -> None:
    import re
    import time

    from pulsekit.observe.prometheus import Prometheus

    client, jobs = Prometheus(prometheus, timeout=5.0), list[str]()
    deadline = time.monotonic() + 15.0  # a just-started Prometheus lists no target yet
    while not jobs and time.monotonic() < deadline:
        frame = client.targets()
        jobs = sorted({str(j) for j in frame["job"]}) if "job" in frame else []
        if not jobs:
            time.sleep(0.2)
    if not any(re.fullmatch(service, job) for job in jobs):
        raise TargetError(
            f"slo.service {service!r} is no job scraped by the target prometheus {prometheus}; "
            f"its jobs are: {', '.join(jobs) or '(none)'}; fix slo.service; nothing was started"
        )


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package
        return False


def _answers(base: str, path: str, what: str, hint: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(base + path, headers={"User-Agent": "pulsekit"})
    try:
        with urllib.request.urlopen(request, timeout=5.0) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TargetError(
            f"{what} {base} does not answer ({reason}); {hint} Nothing was started"
        ) from None
    if path and status != 200:
        raise TargetError(f"{what} {base}{path} answered HTTP {status}; {hint} Nothing was started")
