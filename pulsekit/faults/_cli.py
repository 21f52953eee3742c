"""``pulsekit faults``: serve the fault proxy, halt or release every fault, show what is active."""

from __future__ import annotations

import json
from typing import Any

import click

from pulsekit.errors import ConfigError, FaultError

_PROXY = click.option(
    "--proxy",
    "proxy_url",
    envvar="PULSEKIT_PROXY_URL",
    default="http://127.0.0.1:8474",
    show_default=True,
    help="The fault proxy API URL (env PULSEKIT_PROXY_URL).",
)
_ALLOW = click.option(
    "--allow", multiple=True, metavar="HOST", help="Allow a non-loopback host (repeatable)."
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


@click.group()
def faults() -> None:
    """Fault injection: a Toxiproxy-compatible fault proxy and its safety levers."""


@faults.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="API bind address.")
@click.option(
    "--port",
    default=8474,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="API port (0: any).",
)
@_ALLOW
@click.option("--default-ttl", default="5m", show_default=True, help="TTL of a fault without one.")
@click.option("--max-ttl", default="1h", show_default=True, help="Longest TTL accepted.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="A populate JSON array of proxies to create at start (as toxiproxy-server -config).",
)
@click.option(
    "--ignore-ttl",
    is_flag=True,
    help="Ignore TTLs, as a plain Toxiproxy: a fault lasts until it is removed.",
)
@click.option(
    "--plain",
    is_flag=True,
    help="Behave as a plain Toxiproxy 2.12: --ignore-ttl and no /pulsekit/* (no halt lever).",
)
def serve(
    host: str,
    port: int,
    allow: tuple[str, ...],
    default_ttl: str,
    max_ttl: str,
    config: str | None,
    ignore_ttl: bool,
    plain: bool,
) -> None:
    """Serve the Toxiproxy 2.12-compatible API (Ctrl-C stops it and every fault)."""
    from pulsekit.faults._toxics import ApiError
    from pulsekit.faults.proxy import FaultProxy

    proxies: list[dict[str, Any]] | None = None
    if config:
        try:
            with open(config, encoding="utf-8") as fh:
                proxies = json.load(fh)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ConfigError(f"--config {config}: not a JSON array of proxies ({exc})") from exc
        if not isinstance(proxies, list):
            raise ConfigError(
                f"--config {config}: expected a JSON array of proxies "
                '([{"name": ..., "listen": ..., "upstream": ...}]), got a JSON '
                f"{type(proxies).__name__}"
            )
    proxy = FaultProxy(
        host=host,
        port=port,
        allow=allow,
        default_ttl=default_ttl,
        max_ttl=max_ttl,
        proxies=proxies,
        ignore_ttl=ignore_ttl,
        plain=plain,
    )
    try:
        proxy.run(
            on_ready=lambda p: click.echo(
                f"pulsekit fault proxy: Toxiproxy API on {p.url} (Ctrl-C to stop)", err=True
            )
        )
    except ApiError as exc:
        raise ConfigError(f"--config {config}: {exc.message}; fix that entry") from exc
    except OSError as exc:
        raise FaultError(
            f"cannot serve the API on {host}:{port}: {exc.strerror or exc}; "
            "pick another --port (0 picks a free one)"
        ) from exc


def _client(proxy_url: str, allow: tuple[str, ...]) -> Any:
    from pulsekit.faults.client import Faults

    return Faults(proxy_url, allow=allow)


def _show(status: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps(status))
        return
    state = "HALTED (new faults refused)" if status["halted"] else "accepting faults"
    if status.get("plain"):
        state = "a plain Toxiproxy: it cannot refuse new faults, the GameDays on it stopped"
    click.echo(f"{verb}: {state}; {len(status['active'])} active fault(s)")
    for item in status["active"]:
        attrs = ", ".join(f"{k}={v}" for k, v in (item.get("attributes") or {}).items())
        click.echo(f"  {item['proxy']}: {item['kind']} {attrs}".rstrip())


@faults.command()
@_PROXY
@_ALLOW
@_JSON
def halt(proxy_url: str, allow: tuple[str, ...], as_json: bool) -> None:
    """Revert every fault now and refuse new ones until `pulsekit faults release`.

    On a plain Toxiproxy (no halt endpoint), every GameDay dead-man guarding it removes its run's
    toxics and halts its run."""
    from pulsekit.gameday.deadman import halt_all

    client = _client(proxy_url, allow)
    guarded = halt_all(client.url)
    try:
        status = client.halt()
    except FaultError as exc:
        if getattr(exc, "status", None) != 404:
            raise
        if not guarded:
            raise FaultError(
                f"{client.url} is a plain Toxiproxy (no halt lever) and no GameDay runs against "
                "it; remove toxics with POST /reset (toxiproxy-cli) or run the GameDay again"
            ) from None
        status = {"halted": True, "active": [], "plain": True}
    status["gamedays_halted"] = guarded
    if not as_json and guarded:
        click.echo(f"halted {guarded} GameDay run(s) on {client.url}: their toxics are removed")
    _show(status, as_json, "halted")


@faults.command()
@_PROXY
@_ALLOW
@_JSON
def release(proxy_url: str, allow: tuple[str, ...], as_json: bool) -> None:
    """Accept new faults again after a halt."""
    _show(_client(proxy_url, allow).release(), as_json, "released")


@faults.command()
@_PROXY
@_ALLOW
@_JSON
def status(proxy_url: str, allow: tuple[str, ...], as_json: bool) -> None:
    """Show whether faults are halted and which are active."""
    _show(_client(proxy_url, allow).status(), as_json, "status")
