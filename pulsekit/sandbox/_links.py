"""The process that carries every sandbox link: a plain TCP pass-through per link.

Interim: it answers the subset of the Toxiproxy HTTP API the sandbox uses (``POST /populate``,
``GET /proxies``, ``GET /version``) so the fault proxy can take its place behind the same seam.
Run as ``python -m pulsekit.sandbox._links --fd N`` on an inherited listening socket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from aiohttp import web

from pulsekit.sandbox import _http

LINKS_KEY = web.AppKey("links", dict)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _open_link(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["upstream"].rsplit(":", 1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    listen_host, listen_port = spec.get("listen", "127.0.0.1:0").rsplit(":", 1)
    server = await asyncio.start_server(handle, listen_host, int(listen_port), backlog=1024)
    real_port = server.sockets[0].getsockname()[1]
    return {
        "name": spec["name"],
        "listen": f"{listen_host}:{real_port}",
        "upstream": spec["upstream"],
        "enabled": True,
        "toxics": [],
        "_server": server,
    }


def _public(link: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in link.items() if not k.startswith("_")}


def build() -> web.Application:
    app = _http.make_app()
    app[LINKS_KEY] = {}

    async def populate(request: web.Request) -> web.Response:
        specs = await request.json()
        created = []
        for spec in specs:
            link = await _open_link(spec)
            request.app[LINKS_KEY][link["name"]] = link
            created.append(_public(link))
        return web.json_response({"proxies": created}, status=201)

    async def proxies(request: web.Request) -> web.Response:
        return web.json_response({n: _public(link) for n, link in request.app[LINKS_KEY].items()})

    async def version(request: web.Request) -> web.Response:
        return web.Response(text="pulsekit-links")

    app.router.add_post("/populate", populate)
    app.router.add_get("/proxies", proxies)
    app.router.add_get("/version", version)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args()
    _http.die_with_parent(args.parent)
    _http.serve(build(), args.fd)


if __name__ == "__main__":
    main()
