"""Deterministic seed data for the shop database: vendors, products and a year of orders."""

from __future__ import annotations

import random
import sqlite3

VENDORS = 300
PRODUCTS = 5000
ORDERS = 50_000
DAYS = 365

_ADJECTIVES = [
    "Classic",
    "Organic",
    "Rugged",
    "Compact",
    "Deluxe",
    "Eco",
    "Smart",
    "Vintage",
    "Urban",
    "Alpine",
    "Coastal",
    "Handmade",
    "Wireless",
    "Modular",
    "Premium",
]
_NOUNS = [
    "Backpack",
    "Lamp",
    "Kettle",
    "Headphones",
    "Sneakers",
    "Blender",
    "Desk",
    "Jacket",
    "Notebook",
    "Watch",
    "Speaker",
    "Tent",
    "Mug",
    "Chair",
    "Camera",
    "Scarf",
    "Bottle",
]
_CATEGORIES = ["home", "outdoor", "electronics", "fashion", "kitchen", "office", "sports"]

SCHEMA = """
CREATE TABLE vendors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, vendor_id INTEGER NOT NULL, name TEXT NOT NULL,
    category TEXT NOT NULL, price_cents INTEGER NOT NULL, stock INTEGER NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, vendor_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
    qty INTEGER NOT NULL, total_cents INTEGER NOT NULL, day INTEGER NOT NULL, session TEXT);
CREATE TABLE carts (session TEXT NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL,
    PRIMARY KEY (session, product_id));
CREATE INDEX orders_vendor ON orders (vendor_id, day);
CREATE INDEX products_vendor ON products (vendor_id);
CREATE INDEX products_category ON products (category);
"""


Row = tuple[object, ...]


def rows(seed: int = 42) -> dict[str, list[Row]]:
    """The seed rows per table; the same seed gives the same rows on every node and both tiers."""
    rng = random.Random(seed)
    vendors: list[Row] = [(v, f"Vendor {v:03d}") for v in range(1, VENDORS + 1)]
    products: list[tuple[int, int, str, str, int, int]] = []
    for pid in range(1, PRODUCTS + 1):
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {pid}"
        products.append(
            (
                pid,
                rng.randint(1, VENDORS),
                name,
                rng.choice(_CATEGORIES),
                rng.randint(299, 49_999),
                rng.randint(0, 500),
            )
        )
    orders: list[Row] = []
    for oid in range(1, ORDERS + 1):
        pid, vendor, _, _, price, _ = products[rng.randrange(PRODUCTS)]
        qty = rng.choice((1, 1, 1, 2, 2, 3, 5))
        orders.append((oid, vendor, pid, qty, price * qty, rng.randrange(DAYS), None))
    return {"vendors": vendors, "products": list(products), "orders": orders}


def seed(conn: sqlite3.Connection, *, seed: int = 42) -> None:
    """Create the schema and fill it (SQLite, the embedded tier)."""
    conn.executescript(SCHEMA)
    for table, values in rows(seed).items():
        marks = ", ".join("?" * len(values[0]))
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    conn.commit()
