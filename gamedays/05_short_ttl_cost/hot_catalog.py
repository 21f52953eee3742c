"""Shoppers on a catalog with best sellers: most product views go to a few hundred products.

GameDay 05's load. The shopper mix picks products uniformly from 5000, which no cache helps much;
real catalogs are skewed (here 80% of views go to the 50 best sellers), which is why teams cache.
"""

import random

from locust import FastHttpUser, between, task

WORDS = ("lamp", "chair", "mug", "desk", "rug", "kettle", "shelf", "vase", "clock", "sofa")
BEST_SELLERS = 50
_rng = random.Random(7)


def product_id() -> int:
    if _rng.random() < 0.8:
        return _rng.randint(1, BEST_SELLERS)
    return _rng.randint(1, 5000)


class HotCatalogShopper(FastHttpUser):
    """Search, open a product page (and its data), sometimes add to the cart."""

    wait_time = between(0.5, 1.5)

    @task(3)
    def search(self) -> None:
        q = _rng.choice(WORDS)
        self.client.get(f"/api/search?q={q}&page={_rng.randint(1, 3)}", name="/api/search")

    @task(4)
    def product(self) -> None:
        pid = product_id()
        self.client.get(f"/products/{pid}", name="/products/{id}")
        self.client.get(f"/api/products/{pid}", name="/api/products/{id}")

    @task(1)
    def cart(self) -> None:
        body = {"session": f"hot-{_rng.randrange(16**8):08x}", "product_id": product_id(), "qty": 1}
        self.client.post("/api/cart", json=body, name="/api/cart")
