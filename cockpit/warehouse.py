"""The one warehouse layer: every figure the cockpit shows goes through `Warehouse.run`.

It loads a named query, validates and binds its parameters, applies the user's scope
(a `scope_orgs` CTE of every org node below the user's nodes, OR-ed; empty for a user
without scope, so the default is to deny), and returns a DataFrame. DuckDB is the default
engine; any SQLAlchemy URL works, the SQL being transpiled with sqlglot.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from cockpit import queries
from cockpit.queries import QueryError


class ScopeError(PermissionError):
    """The user asked for an org node outside their scope. The message says so without leaking data."""


class WarehouseError(RuntimeError):
    """The warehouse is missing or unreachable, or a query failed; the message says what to do."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: the org nodes they may see (their subtrees, OR-ed) and their role."""

    username: str
    role: str
    org_ids: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """A simple hashable value for cache keys: the scope must be part of every cached query's key."""
        return (self.username, self.role, tuple(sorted(self.org_ids)))


def _to_url(target: str) -> str:
    if "://" in target:
        return target
    return f"duckdb:///{Path(target).expanduser().resolve()}"


def _dialect(url: str) -> str:
    name = sa.engine.make_url(url).get_backend_name()
    return {"postgresql": "postgres", "duckdb": "duckdb", "databricks": "databricks", "hive": "spark",
            "mysql": "mysql", "trino": "trino", "clickhouse": "clickhouse", "sqlite": "sqlite"}.get(name, name)


def _scope_cte(n: int) -> str:
    if n == 0:
        return "select org_id from orgs where 1 = 0"
    marks = ", ".join(f":scope_{i}" for i in range(n))
    return f"select descendant_id as org_id from org_closure where ancestor_id in ({marks})"


@lru_cache(maxsize=1024)
def render(name: str, scope_size: int, dialect: str) -> str:
    """The SQL text for a named query with a scope of `scope_size` nodes, in the engine's dialect.

    Only trusted text goes in here (the query file and a placeholder list); values are bound later.
    """
    q = queries.get(name)
    tree = sqlglot.parse_one(q.sql, read="duckdb")
    if q.scope == "subtree":
        cte = exp.CTE(this=sqlglot.parse_one(_scope_cte(scope_size), read="duckdb"),
                      alias=exp.TableAlias(this=exp.to_identifier("scope_orgs")))
        with_ = tree.args.get("with_") or tree.args.get("with")
        if with_ is not None:
            with_.set("expressions", [cte, *with_.expressions])
        else:
            tree.set("with_" if "with_" in tree.arg_types else "with", exp.With(expressions=[cte]))
    tree = tree.transform(lambda n: exp.var(f":{n.name}") if isinstance(n, exp.Placeholder) else n)
    return tree.sql(dialect=dialect)


class Warehouse:
    """A connection pool to one warehouse, and the only way to run a named query."""

    def __init__(self, target: str, read_only: bool = True):
        self.target = target
        self.url = _to_url(target)
        self.dialect = _dialect(self.url)
        args: dict[str, Any] = {}
        if self.dialect == "duckdb":
            path = Path(self.url.removeprefix("duckdb:///"))
            if read_only and not path.exists():
                raise WarehouseError(f"No warehouse at {path}: build the demo bank with `cockpit seed` or import data with `cockpit import`.")
            args = {"connect_args": {"read_only": read_only}}
        self.engine = sa.create_engine(self.url, **args)
        self._lock = threading.Lock()

    def _frame(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        try:
            with self.engine.connect() as conn:
                return pd.read_sql(sa.text(sql), conn, params=params)
        except sa.exc.OperationalError as e:
            raise WarehouseError(f"The warehouse could not be reached ({type(e.orig).__name__}). Check COCKPIT_WAREHOUSE.") from e
        except sa.exc.DBAPIError as e:
            raise WarehouseError(f"A query failed in the warehouse: {str(e.orig).splitlines()[0][:200]}") from e

    def sql(self, text: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run trusted SQL written by the project (tests, importers, admin tools). Never for user text."""
        return self._frame(text, params or {})

    def visible_orgs(self, scope: Scope) -> set[str]:
        """Every org node in the user's subtrees."""
        df = self.sql(_scope_cte(len(scope.org_ids)), {f"scope_{i}": o for i, o in enumerate(scope.org_ids)})
        return set(df["org_id"])

    def check_org(self, scope: Scope, org_id: str) -> None:
        """Refuse an org node outside the user's scope, with the same message whether or not it exists."""
        if not scope.org_ids or org_id not in self.visible_orgs(scope):
            raise ScopeError(f"Org '{org_id}' is outside your scope ({', '.join(scope.org_ids) or 'none'}); nothing is shown.")

    def run(self, name: str, scope: Scope, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a named query for a user: validate parameters, check org parameters, bind, scope."""
        q = queries.get(name)
        bound = q.bind(dict(params or {}))
        for p in q.params:
            if p.type == "org":
                self.check_org(scope, bound[p.name])
        if q.scope == "subtree":
            bound.update({f"scope_{i}": o for i, o in enumerate(scope.org_ids)})
        return self._frame(render(name, len(scope.org_ids), self.dialect), bound)


@lru_cache(maxsize=8)
def open_warehouse(target: str, read_only: bool = True) -> Warehouse:
    """One Warehouse per target and mode in this process (its pool is thread-safe)."""
    return Warehouse(target, read_only=read_only)


__all__ = ["Scope", "ScopeError", "Warehouse", "WarehouseError", "QueryError", "open_warehouse", "render"]
