"""Built-in task mixes for the sandbox shop (Locust user classes, built inside the child only)."""

from __future__ import annotations

import random
from typing import Any

from pulsekit.load._request import PlainRequest

MIXES = ("shopper", "vendor")
_WORDS = ("lamp", "chair", "mug", "desk", "rug", "kettle", "shelf", "vase", "clock", "sofa")


def build(
    name: str, *, think: tuple[float, float], seed: int, request: PlainRequest | None = None
) -> type[Any]:
    """The FastHttpUser class of mix ``name`` (imports locust: call only in a Locust process).

    ``name="request"`` repeats the one plain request described by ``request`` (see ``_request``).
    """
    from locust import FastHttpUser, between, task

    rng = random.Random(seed)
    if name == "request" and request is not None:
        method, url, label = request.method, request.url, request.name
        headers = dict(request.headers)
        body = request.body

        class RequestUser(FastHttpUser):
            """Send the same request of the exact URL, as k6, hey, wrk and vegeta do by default."""

            wait_time = between(*think)

            @task
            def plain(self) -> None:
                self.client.request(method, url, name=label, headers=headers, data=body)

        return RequestUser

    class _ShopUser(FastHttpUser):
        abstract = True
        wait_time = between(*think)

        def on_start(self) -> None:
            self.session = f"pk-{rng.randrange(16**8):08x}"

    if name == "shopper":

        class ShopperUser(_ShopUser):
            """Browse home, search, open a product, add to cart and sometimes check out."""

            @task(3)
            def home(self) -> None:
                self.client.get("/", name="/")

            @task(3)
            def search(self) -> None:
                q = rng.choice(_WORDS)
                self.client.get(f"/api/search?q={q}&page={rng.randint(1, 3)}", name="/api/search")

            @task(3)
            def product(self) -> None:
                pid = rng.randint(1, 5000)
                self.client.get(f"/products/{pid}", name="/products/{id}")
                self.client.get(f"/api/products/{pid}", name="/api/products/{id}")

            @task(2)
            def cart(self) -> None:
                body = {"session": self.session, "product_id": rng.randint(1, 5000), "qty": 1}
                self.client.post("/api/cart", json=body, name="/api/cart")

            @task(1)
            def checkout(self) -> None:
                body = {"session": self.session, "product_id": rng.randint(1, 5000), "qty": 1}
                self.client.post("/api/cart", json=body, name="/api/cart")
                with self.client.post(
                    "/api/checkout",
                    json={"session": self.session},
                    name="/api/checkout",
                    catch_response=True,
                ) as resp:
                    if resp.status_code == 402:  # a declined card is a business outcome
                        resp.success()

        return ShopperUser
    if name == "vendor":

        class VendorUser(_ShopUser):
            """Open a vendor's back-office dashboard page, then its data (what the page's JS fetches)."""

            @task
            def dashboard(self) -> None:
                vid = rng.randint(1, 300)
                self.client.get(f"/vendor/{vid}/dashboard", name="/vendor/{id}/dashboard")
                self.client.get(f"/api/vendors/{vid}/dashboard", name="/api/vendors/{id}/dashboard")

        return VendorUser
    raise ValueError(f"unknown mix {name!r}")
