"""The process that carries every sandbox link: pulsekit's fault proxy (Toxiproxy-compatible API).

Run as ``python -m pulsekit.sandbox._links --fd N`` on an inherited listening socket: it serves the
Toxiproxy 2.12 API, ``/metrics`` and ``/healthz`` on that socket; ``POST /populate`` creates the links.
"""

from __future__ import annotations

import argparse
import socket

from pulsekit.faults.proxy import FaultProxy
from pulsekit.sandbox import _http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent", type=int, default=0)
    parser.add_argument("--default-ttl", default="5m")
    parser.add_argument("--max-ttl", default="1h")
    args = parser.parse_args()
    _http.die_with_parent(args.parent)
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    host, port = sock.getsockname()[:2]
    proxy = FaultProxy(
        host=host, port=port, sock=sock, default_ttl=args.default_ttl, max_ttl=args.max_ttl
    )
    proxy.run()


if __name__ == "__main__":
    main()
