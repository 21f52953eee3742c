"""The shop's HTML pages, served by the gateway: home, product (hero image) and vendor dashboard."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Awaitable, Callable
from importlib import resources
from string import Template
from typing import Any

from aiohttp import web

ApiCall = Callable[[web.Request, str], Awaitable[tuple[int, Any]]]
_PAGES = resources.files("pulsekit.sandbox") / "pages"


def _template(name: str) -> Template:
    return Template((_PAGES / name).read_text(encoding="utf-8"))


def hero_svg(product_id: int) -> str:
    """A deterministic, product-coloured hero image (1200x600)."""
    digest = hashlib.sha256(str(product_id).encode()).hexdigest()
    a, b = f"#{digest[:6]}", f"#{digest[6:12]}"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="600" viewBox="0 0 1200 600">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{a}"/>'
        f'<stop offset="1" stop-color="{b}"/></linearGradient></defs>'
        '<rect width="1200" height="600" fill="url(#g)"/>'
        f'<text x="60" y="540" font-family="sans-serif" font-size="64" fill="#fff">Product {product_id}'
        "</text></svg>"
    )


def add_routes(app: web.Application, api: ApiCall) -> None:
    """Register the page routes on the gateway app; ``api`` fetches JSON through the balancer."""
    home, product, dashboard = (
        _template(n) for n in ("home.html", "product.html", "dashboard.html")
    )
    dashboard_js = (_PAGES / "dashboard.js").read_text(encoding="utf-8")
    # the vitals dojo's ?regress= switches, inlined (as written) into the home and product pages
    regress = (_PAGES / "regress.js").read_text(encoding="utf-8")

    async def home_page(request: web.Request) -> web.Response:
        status, data = await api(request, "/api/search?q=Classic")
        items = (data or {}).get("results", [])[:12]
        cards = (
            "\n".join(
                f'<li><a href="/products/{p["id"]}">{html.escape(p["name"])}</a> '
                f'<span class="price">${p["price_cents"] / 100:.2f}</span></li>'
                for p in items
            )
            or "<li>Featured products are unavailable right now.</li>"
        )
        return _html(home.substitute(cards=cards, regress=regress), 200 if status == 200 else 503)

    async def product_page(request: web.Request) -> web.Response:
        pid = request.match_info["id"]
        status, data = await api(request, f"/api/products/{pid}")
        if status == 404 or (status == 400):
            raise web.HTTPNotFound(text="no such product")
        if data is None:
            return _html("<h1>Product unavailable</h1><p>Please try again.</p>", 503)
        return _html(
            product.substitute(
                regress=regress,
                id=data["id"],
                name=html.escape(data["name"]),
                category=data["category"],
                price=f"{data['price_cents'] / 100:.2f}",
                stock=data["stock"],
            ),
            200,
        )

    async def dashboard_page(request: web.Request) -> web.Response:
        vendor = request.match_info["id"]
        if not vendor.isdigit():
            raise web.HTTPNotFound(text="no such vendor")
        return _html(dashboard.substitute(vendor=vendor), 200)

    async def hero(request: web.Request) -> web.Response:
        pid = request.match_info["id"]
        if not pid.isdigit():
            raise web.HTTPNotFound()
        return web.Response(
            text=hero_svg(int(pid)),
            content_type="image/svg+xml",
            headers={"Cache-Control": "max-age=3600"},
        )

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=dashboard_js, content_type="application/javascript")

    app.router.add_get("/", home_page)
    app.router.add_get("/products/{id}", product_page)
    app.router.add_get("/vendor/{id}/dashboard", dashboard_page)
    app.router.add_get("/static/hero/{id}.svg", hero)
    app.router.add_get("/static/dashboard.js", script)


def _html(body: str, status: int) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html")
