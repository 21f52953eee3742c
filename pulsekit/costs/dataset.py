"""``CostData``: one billing dataset in DuckDB and the questions a platform team asks of it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit.costs import _schema
from pulsekit.costs import anomalies as _anomalies
from pulsekit.costs import forecast as _forecast
from pulsekit.costs import report as _report
from pulsekit.costs import savings as _savings
from pulsekit.costs import unit as _unit
from pulsekit.costs._engine import (
    connect,
    ident,
    literal,
    one_line,
    path_literal,
    query_df,
    query_rows,
)
from pulsekit.costs._window import DateLike, Window, parse_window, tag_sql
from pulsekit.costs.egress import egress_sql
from pulsekit.costs.results import CostTable, money
from pulsekit.errors import CostError, SchemaError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from pulsekit.costs.anomalies import AnomalyReport
    from pulsekit.costs.savings import SavingsReport

_USAGE = "ChargeCategory = 'Usage'"


class CostData:
    """A billing dataset (canonical FOCUS Parquet) queried with DuckDB; results are small frames.

    Example:
        >>> costs = pulsekit.costs.open()            # the bundled marketplace sample
        >>> costs.cost_by("service", "month").plot()
    """

    def __init__(
        self,
        parquet: str | os.PathLike[str],
        *,
        metrics: str | os.PathLike[str] | pd.DataFrame | None = None,
        threads: int = 2,
        memory_limit: str = "1GB",
        label: str | None = None,
    ) -> None:
        self.path = Path(parquet)
        self.label = label or self.path.name
        self._con: duckdb.DuckDBPyConnection | None = connect(
            threads=threads, memory_limit=memory_limit
        )
        import duckdb

        try:
            self._con.execute(
                f"CREATE VIEW focus AS SELECT * FROM read_parquet({path_literal(self.path)})"
            )
        except duckdb.Error as exc:
            self.close()
            raise CostError(
                f"cannot open {self.path} as FOCUS Parquet: {one_line(exc)}; "
                "pass the export itself to pulsekit.costs.open()"
            ) from exc
        self.has_metrics = metrics is not None
        if metrics is not None:
            self._register_metrics(metrics)

    def _register_metrics(self, metrics: str | os.PathLike[str] | pd.DataFrame) -> None:
        con = self.con
        if isinstance(metrics, str | os.PathLike):
            path = str(metrics)
            reader = (
                f"read_parquet({path_literal(path)})"
                if path.endswith(".parquet")
                else f"read_csv({path_literal(path)}, header=true)"
            )
            con.execute(f"CREATE VIEW metrics_raw AS SELECT * FROM {reader}")
        else:
            con.register("metrics_raw", metrics)
        cols = {r[0] for r in query_rows(con, "DESCRIBE SELECT * FROM metrics_raw")}
        missing = [c for c in ("date", "service", "requests", "orders") if c not in cols]
        if missing:
            raise SchemaError(
                f"business metrics miss column(s) {', '.join(missing)}; they need "
                "date, service, requests, orders (one row per day per service)"
            )
        con.execute(
            "CREATE VIEW metrics AS SELECT CAST(date AS DATE) AS date, CAST(service AS VARCHAR) "
            "AS service, CAST(requests AS DOUBLE) AS requests, CAST(orders AS DOUBLE) AS orders "
            "FROM metrics_raw"
        )

    # ----------------------------------------------------------------- plumbing
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (views ``focus`` and, with business metrics, ``metrics``)."""
        if self._con is None:
            raise CostError("this CostData is closed; open the source again")
        return self._con

    def close(self) -> None:
        """Close the DuckDB connection."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> CostData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CostData {self.label}>"

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run your own SQL over the ``focus`` (and ``metrics``) views; keep results aggregated."""
        return query_df(self.con, query, params)

    def coverage(self) -> tuple[datetime, datetime, int]:
        """(first charge start, last charge end, rows)."""
        row = query_rows(
            self.con, "SELECT min(ChargePeriodStart), max(ChargePeriodEnd), count(*) FROM focus"
        )[0]
        return row[0], row[1], int(row[2])

    def dimension(self, name: str) -> str:
        """The SQL expression of a dimension: a friendly name, a FOCUS column, ``tag:<key>`` or
        ``egress`` (the data-transfer class)."""
        return self._dimension_parts(name)[0]

    @staticmethod
    def _dimension_parts(name: str) -> tuple[str, tuple[str, ...]]:
        """(SQL expression, the raw columns it reads)."""
        if name in _schema.DIMENSIONS:
            col = _schema.DIMENSIONS[name]
            return ident(col), (col,)
        if name in _schema.COLUMNS:
            return ident(name), (name,)
        if name == "egress":
            return egress_sql(), ("x_UsageType", "ServiceName")
        if name.startswith("tag:") and len(name) > 4:
            return tag_sql(name[4:]), ("Tags",)
        known = ", ".join([*_schema.DIMENSIONS, "egress", "tag:<key>"])
        raise CostError(f"dimension {name!r} is unknown; use one of {known} or a FOCUS column name")

    def _preaggregated(
        self,
        dims: list[str],
        sums: dict[str, str],
        where: str,
        *,
        time: bool = True,
        extra: tuple[str, ...] = (),
    ) -> tuple[str, list[str]]:
        """A subquery grouping by the raw columns the dimensions read (and ChargePeriodStart),
        so that expensive expressions (JSON tags, regexes, date_trunc) run on few rows.

        Returns the subquery and each dimension's expression over it, as text labels.
        """
        parts = [self._dimension_parts(d) for d in dims]
        raw: list[str] = (["ChargePeriodStart"] if time else []) + sorted(
            {c for _, cols in parts for c in cols} | set(extra)
        )
        agg = ", ".join(f"sum({expr}) AS {ident(alias)}" for alias, expr in sums.items())
        keys = ", ".join(ident(c) for c in raw)
        sub = f"(SELECT {keys}, {agg} FROM focus {where} GROUP BY ALL) AS pre"
        labels = [f"coalesce(CAST({expr} AS VARCHAR), '(none)')" for expr, _ in parts]
        return sub, labels

    def _where(self, window: Window, extra: str | None = None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        span = parse_window(window)
        if span is not None:
            clauses.append("ChargePeriodStart >= ? AND ChargePeriodStart < ?")
            params += [span[0], span[1]]
        if extra:
            clauses.append(extra)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _nonempty(self, df: pd.DataFrame, window: Window, what: str) -> pd.DataFrame:
        if len(df) == 0:
            first, last, rows = self.coverage()
            cover = f"the data cover {first:%Y-%m-%d} to {last:%Y-%m-%d}" if rows else "no rows"
            where = "in this data" if window is None else f"in window {_show(window)}"
            hint = (
                "; egress needs x_UsageType (AWS FOCUS and CUR exports carry it)"
                if "transfer" in what
                else ""
            )
            raise CostError(f"no {what} {where}; {cover}{hint}")
        return df

    @staticmethod
    def _metric(metric: str) -> str:
        if metric not in _schema.METRICS:
            raise CostError(
                f"metric {metric!r} is unknown; use one of {', '.join(_schema.METRICS)}"
            )
        return ident(metric)

    @staticmethod
    def _grain(period: str) -> str | None:
        if period not in _schema.GRAINS:
            raise CostError(f"period {period!r} is unknown; use one of {', '.join(_schema.GRAINS)}")
        return None if period == "total" else f"date_trunc('{period}', ChargePeriodStart)"

    # ----------------------------------------------------------------- queries
    def cost_by(
        self,
        dimensions: str | list[str] | tuple[str, ...] = ("service",),
        period: str = "month",
        *,
        metric: str = "EffectiveCost",
        window: Window = None,
        charge_category: str | None = None,
        where: dict[str, str | list[str] | tuple[str, ...]] | None = None,
        top: int | None = None,
    ) -> CostTable:
        """Sum ``metric`` by ``dimensions`` per ``period`` (hour/day/week/month/quarter/year/total).

        ``window`` narrows the time ('2025-11', '2025-11-12' or (start, end)); ``where`` keeps
        rows whose dimensions have the given value(s), e.g. ``{"usage_type": "NatGateway-Bytes"}``
        (a value with ``%`` matches like SQL LIKE: ``{"usage_type": "%BoxUsage%"}``);
        ``top`` keeps the largest values of the first dimension and folds the rest into
        ``(other)``.
        """
        dims = [dimensions] if isinstance(dimensions, str) else list(dimensions)
        if not dims:
            raise CostError("cost_by needs at least one dimension, e.g. 'service'")
        m = self._metric(metric)
        grain = self._grain(period)
        filters = [f"ChargeCategory = {literal(charge_category)}"] if charge_category else []
        for name, values in (where or {}).items():
            vals = [values] if isinstance(values, str) else list(values)
            expr = f"coalesce(CAST({self.dimension(name)} AS VARCHAR), '(none)')"
            tests = [
                f"{expr} LIKE {literal(v)}" if "%" in v else f"{expr} = {literal(v)}" for v in vals
            ]
            filters.append("(" + " OR ".join(tests) + ")")
        clause, params = self._where(window, " AND ".join(filters) or None)
        sub, labels = self._preaggregated(dims, {"cost": m}, clause, time=grain is not None)
        cols = ([f"{grain} AS period"] if grain else []) + [
            f"{label} AS {ident(d)}" for label, d in zip(labels, dims, strict=True)
        ]
        order = (["period"] if grain else []) + ["cost DESC"]
        sql = (
            f"SELECT {', '.join(cols)}, sum(cost) AS cost FROM {sub} "
            f"GROUP BY ALL ORDER BY {', '.join(order)}, {', '.join(ident(d) for d in dims)}"
        )
        df = self._nonempty(query_df(self.con, sql, params), window, "cost data")
        df = df.rename(columns={"cost": metric})
        if top is not None:
            df = _fold_top(df, dims[0], metric, top)
        total = float(df[metric].sum())
        title = f"{metric} by {', '.join(dims)}" + (f" per {period}" if grain else "")
        chart = "stacked" if grain and len(dims) == 1 else "bar"
        return CostTable(
            df=df.reset_index(drop=True),
            title=title,
            chart=chart if grain else "bar",
            x="period" if grain else dims[0],
            y=metric,
            series=dims[0] if grain else None,
            notes=(f"total {money(total)}",),
        )

    def top_movers(
        self,
        by: str = "service",
        *,
        month: str | None = None,
        n: int = 10,
        metric: str = "EffectiveCost",
    ) -> CostTable:
        """The ``n`` largest month-over-month changes of ``metric`` by ``by``.

        ``month`` ('YYYY-MM') is compared with the month before; default: the last complete month.
        """
        m = self._metric(metric)
        first, last, _ = self.coverage()
        if month is None:
            end = datetime(last.year, last.month, 1)
            start = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)
        else:
            start, end = parse_window(month) or (datetime.min, datetime.min)
        prev = datetime(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
        if month is None and prev < datetime(first.year, first.month, 1):
            raise CostError(
                "top movers need two complete months of data; this source covers "
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
            )
        sub, (label,) = self._preaggregated(
            [by], {"cost": m}, "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?"
        )
        sql = f"""
            SELECT {label} AS {ident(by)},
                   sum(cost) FILTER (WHERE ChargePeriodStart < ?) AS previous,
                   sum(cost) FILTER (WHERE ChargePeriodStart >= ?) AS current
            FROM {sub} GROUP BY ALL"""
        df = query_df(self.con, sql, [start, start, prev, end])
        df = self._nonempty(df, (prev, end), "cost data")
        df = df.fillna({"previous": 0.0, "current": 0.0})
        df["change"] = df["current"] - df["previous"]
        df["change_pct"] = (df["change"] / df["previous"].where(df["previous"] != 0) * 100).round(1)
        df = df.reindex(df["change"].abs().sort_values(ascending=False).index).head(n)
        return CostTable(
            df=df.reset_index(drop=True),
            title=f"Top movers by {by}: {start:%Y-%m} vs {prev:%Y-%m} ({metric})",
            chart="bar",
            x=by,
            y="change",
            meta={"month": f"{start:%Y-%m}", "previous": f"{prev:%Y-%m}"},
        )

    def egress(
        self, period: str = "month", *, by: str | None = None, window: Window = None
    ) -> CostTable:
        """Data-transfer cost and GB by class (internet, inter-region, inter-AZ, NAT, CloudFront)."""
        grain = self._grain(period)
        klass = egress_sql()
        cheap = "(x_UsageType LIKE '%Bytes%' OR x_UsageType LIKE '%DataTransfer%')"
        where, params = self._where(window, f"{_USAGE} AND {cheap}")
        dims = [by] if by else []
        parts = [self._dimension_parts(d) for d in dims]
        raw = sorted(
            {"x_UsageType", "ServiceName", "PricingUnit"} | {c for _, cs in parts for c in cs}
        )
        keys = ", ".join(["ChargePeriodStart", *(ident(c) for c in raw)])
        sub = (
            f"(SELECT {keys}, sum(EffectiveCost) AS cost, sum(PricingQuantity) AS qty "
            f"FROM focus {where} GROUP BY ALL) AS pre"
        )
        cols = [f"{grain} AS period"] if grain else []
        cols += [
            f"coalesce(CAST({expr} AS VARCHAR), '(none)') AS {ident(d)}"
            for (expr, _), d in zip(parts, dims, strict=True)
        ]
        sql = (
            f"SELECT {', '.join(cols + [f'{klass} AS egress'])}, sum(cost) AS cost, "
            f"sum(CASE WHEN PricingUnit ILIKE 'GB%' THEN qty END) AS gb "
            f"FROM {sub} WHERE ({klass}) IS NOT NULL "
            f"GROUP BY ALL ORDER BY {'period, ' if grain else ''}cost DESC, egress"
        )
        df = self._nonempty(query_df(self.con, sql, params), window, "data-transfer charges")
        return CostTable(
            df=df,
            title="Data transfer by class" + (f" per {period}" if grain else ""),
            chart="stacked" if grain else "bar",
            x="period" if grain else "egress",
            y="cost",
            series="egress" if grain else None,
            notes=(f"total {money(float(df['cost'].sum()))}",),
        )

    def unit_cost(self, per: str = "requests", **kwargs: Any) -> CostTable:
        """EffectiveCost of usage per 1,000 requests or per order; see :func:`unit.unit_cost`."""
        return _unit.unit_cost(self, per, **kwargs)

    def window_cost(self, start: DateLike, end: DateLike, **kwargs: Any) -> CostTable:
        """What a time window (a GameDay, an incident) cost against the same window a week
        earlier; see :func:`unit.window_cost`."""
        return _unit.window_cost(self, start, end, **kwargs)

    def tag_keys(self) -> CostTable:
        """Tag keys as written, grouped by their normalised form, with the spend they carry."""
        sql = """
            WITH k AS (SELECT unnest(json_keys(Tags)) AS key, EffectiveCost FROM focus
                       WHERE Tags IS NOT NULL AND Tags <> '')
            SELECT lower(trim(key)) AS normalized, key, count(*) AS rows, sum(EffectiveCost) AS cost
            FROM k GROUP BY ALL ORDER BY normalized, cost DESC"""
        df = query_df(self.con, sql)
        variants = df.groupby("normalized")["key"].nunique()
        messy = sorted(variants[variants > 1].index)
        return CostTable(
            df=df,
            title="Tag keys and the spend they carry",
            chart="bar",
            x="key",
            y="cost",
            notes=(f"keys written several ways: {', '.join(messy) or 'none'}",),
        )

    # ------------------------------------------------- analyses in their own modules
    def anomalies(self, **kwargs: Any) -> AnomalyReport:
        """Daily cost anomalies (robust z-score + impact floor); see :func:`anomalies.detect`."""
        return _anomalies.detect(self, **kwargs)

    def savings(self, **kwargs: Any) -> SavingsReport:
        """Savings opportunities with their assumptions; see :func:`savings.estimate`."""
        return _savings.estimate(self, **kwargs)

    def forecast(self, months: int = 3, **kwargs: Any) -> CostTable:
        """Monthly EffectiveCost forecast with a band; see :func:`forecast.forecast`."""
        return _forecast.forecast(self, months=months, **kwargs)

    def report(self) -> dict[str, Any]:
        """A compact overview (JSON-ready): coverage, months, top services, movers, anomalies,
        savings."""
        return _report.build_report(self)


def _show(window: Window) -> str:
    if isinstance(window, tuple):
        parts = [f"{w:%Y-%m-%d %H:%M}" if isinstance(w, datetime) else str(w) for w in window]
        return f"{parts[0]} to {parts[1]}"
    return repr(window)


def _fold_top(df: pd.DataFrame, dim: str, metric: str, top: int) -> pd.DataFrame:
    totals = df.groupby(dim)[metric].sum().sort_values(ascending=False)
    keep = set(totals.head(top).index)
    df = df.copy()
    df[dim] = df[dim].where(df[dim].isin(keep), "(other)")
    keys = [c for c in df.columns if c != metric]
    grouped = df.groupby(keys, as_index=False, sort=False)[[metric]].sum()
    return grouped.reset_index(drop=True)
