"""The GameDay screen's HTTP server: the page, its assets, ``/state`` (a JSON snapshot polled twice a
second) and ``POST /halt``. Loopback only, on a daemon thread, so it never keeps a process alive.

HALT is refused (403) without the run's token (``X-Pulsekit-Token``, which the page carries) or when the
``Origin`` or ``Host`` header names anything but this server (another site's page, DNS rebinding).
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from pulsekit.errors import ConfigError
from pulsekit.gameday._screen_state import ScreenState

HALT_REASON = "halted from the screen"
ASSETS = {
    "/screen.js": "application/javascript; charset=utf-8",
    "/screen.css": "text/css; charset=utf-8",
}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _asset(name: str) -> bytes:
    return resources.files("pulsekit.gameday").joinpath("screen", name).read_bytes()


class Screen:
    """Serve ``state`` on ``http://host:port/`` until :meth:`close`.

    >>> screen = Screen(state, port=0).start(); print(screen.url)   # doctest: +SKIP
    """

    def __init__(self, state: ScreenState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ConfigError(
                f"screen host={host!r} is not loopback; serve on 127.0.0.1 and let observers on "
                "other machines use an SSH tunnel (ssh -L 8474:127.0.0.1:PORT host)"
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"screen port={port!r} must be an integer from 0 (any free) to 65535")
        self.state = state
        self.token = secrets.token_urlsafe(24)
        self.halts = 0
        handler = type("Handler", (_Handler,), {"screen": self})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigError(
                f"screen port {port} cannot be used ({exc}); pass another --screen-port or 0"
            ) from exc
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )

    def start(self) -> Screen:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> Screen:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self) -> bytes:
        html = _asset("index.html").decode()
        return html.replace("{{TOKEN}}", self.token).encode()

    def hosts(self) -> set[str]:
        return {f"{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]")}

    def allowed(self, headers: Any) -> str | None:
        """Why a changing request is refused, or None."""
        if not secrets.compare_digest(str(headers.get("X-Pulsekit-Token") or ""), self.token):
            return "missing or wrong X-Pulsekit-Token (the page carries it)"
        if headers.get("Host") not in self.hosts():
            return f"Host {headers.get('Host')!r} is not this screen"
        origin = headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in self.hosts()}:
            return f"Origin {origin!r} is not this screen"
        return None


class _Handler(BaseHTTPRequestHandler):
    screen: Screen
    server_version = "pulsekit-gameday-screen"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the run has its own line
        return

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.headers.get("Host") not in self.screen.hosts():  # DNS rebinding: not our name
            self._send(403, b'{"error": "Host is not this screen; open it at 127.0.0.1"}')
        elif path in ("/", "/index.html"):
            self._send(200, self.screen.page(), "text/html; charset=utf-8")
        elif path == "/state":
            self._send(200, self.screen.state.to_json())
        elif path in ASSETS:
            self._send(200, _asset(path[1:]), ASSETS[path])
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/halt":
            self._send(404, b'{"error": "not found"}')
            return
        refused = self.screen.allowed(self.headers)
        if refused is not None:
            self._send(403, json.dumps({"error": refused}).encode())
            return
        halt = self.screen.state.halt
        if halt is None or not self.screen.state.snapshot()["halt_allowed"]:
            self._send(409, b'{"error": "this run cannot be halted (replay, or it has ended)"}')
            return
        self.screen.halts += 1
        halt(HALT_REASON)
        self._send(200, json.dumps({"halted": True, "reason": HALT_REASON}).encode())
