"""The one warehouse layer: every figure the cockpit shows goes through `Warehouse.run`.

It loads a named query, validates and binds its parameters, applies the user's scope
(a `scope_orgs` CTE of every org node below the user's nodes, OR-ed; empty for a user
without scope, so the default is to deny), and returns a DataFrame.

Rankings (`-- scope: peers`) also get `peer_orgs`, the siblings of the user's own nodes, and
`cohort_orgs`, the whole tree, to compute over (included queries read it in place of
`scope_orgs`). Their output is filtered here, whatever the SQL says: rows for the user's
subtree keep every column; rows for peers keep only PEER_COLUMNS (the rest is blanked, and
names are replaced when COCKPIT_ANONYMISE_PEERS is on); every other row is dropped. DuckDB is the default
engine; any SQLAlchemy URL works, the SQL being transpiled with sqlglot.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cachetools
import duckdb
import pandas as pd
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from cockpit.core import config
from cockpit.warehouse import arrow_read, prepared, queries
from cockpit.warehouse.queries import QueryError

log = logging.getLogger(__name__)

PEER_COLUMNS = ("org_id", "name_zh", "name_en", "score", "rank")


class ScopeError(PermissionError):
    """The user asked for an org node outside their scope. The message says so without leaking data."""


class UnknownOrgError(ScopeError):
    """The org node does not exist. Said only to a user who sees the whole tree, so it reveals nothing;
    everyone else hears "outside your scope" whether or not the node exists."""


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
    return {
        "postgresql": "postgres",
        "duckdb": "duckdb",
        "databricks": "databricks",
        "hive": "spark",
        "mysql": "mysql",
        "trino": "trino",
        "clickhouse": "clickhouse",
        "sqlite": "sqlite",
    }.get(name, name)


def _scope_params(scope: Scope) -> dict[str, str]:
    """The bound values of `_scope_cte(len(scope.org_ids))` and `_peer_cte`: one per own node."""
    return {f"scope_{i}": o for i, o in enumerate(scope.org_ids)}


def _marks(prefix: str, n: int) -> str:
    return ", ".join(f":{prefix}_{i}" for i in range(n))


def _row_marks(n: int, width: int) -> str:
    return ", ".join("(" + ", ".join(f":row_{i}_{j}" for j in range(width)) + ")" for i in range(n))


def _scope_cte(n: int) -> str:
    if n == 0:
        return "select org_id from orgs where 1 = 0"
    return f"select descendant_id as org_id from org_closure where ancestor_id in ({_marks('scope', n)})"


# Bound rows: a query may read a list of rows given by the caller (e.g. the customers of app-side actions),
# declared in its header as `-- rows: NAME(col type, ...)`. The layer adds a CTE NAME whose every value is a
# bound parameter, so ids from the app's own state reach the warehouse without ever being spliced into SQL.
_ROWS = re.compile(r"^--\s*rows:\s*([a-z_][a-z0-9_]*)\s*\(([^)]*)\)\s*$", re.M)
ROW_TYPES = {"bigint": int, "integer": int, "double": float, "varchar": str, "date": dt.date, "boolean": bool}
MAX_BOUND_ROWS = 5000  # more rows: the caller sends them in chunks
ID_CHUNK = 1000  # org ids bound in one statement by `Warehouse.paths`
# Where a node sits and whether a scope holds it is asked before every query (several a page) and changes only
# when the org tree is imported again: answers are remembered this long, per scope and node (and, for a DuckDB
# file, per version of the file).
PATHS_SECONDS = 300
PATHS_KEPT = 50_000
TREE_KEPT = 256  # answers of `Warehouse.tree` (the roots, a level's nodes) remembered as long as paths


def bound_rows_spec(name: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """(table name, ((column, type), ...)) a named query declares with `-- rows:`, or None."""
    m = _ROWS.search(queries.get(name).sql)
    if not m:
        return None
    cols = tuple(tuple(c.split()) for c in m.group(2).split(","))
    if not cols or any(
        len(c) != 2 or c[1] not in ROW_TYPES or not re.fullmatch(r"[a-z_][a-z0-9_]*", c[0]) for c in cols
    ):
        raise QueryError(f"{name}: bad rows declaration {m.group(0)!r} (types: {', '.join(ROW_TYPES)})")
    return m.group(1), cols


def _rows_cte(cols: tuple[tuple[str, str], ...], n: int) -> str:
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in cols)
    if n == 0:
        nulls = ", ".join(f"cast(null as {t}) as {c}" for c, t in cols)
        return f"select {nulls} from orgs where 1 = 0"
    return f"select {casts} from (values {_row_marks(n, len(cols))}) as v({', '.join(c for c, _ in cols)})"


def _coerce_row_value(value: Any, kind: str, where: str) -> Any:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    want = ROW_TYPES[kind]
    try:
        if want is dt.date:
            return (
                value
                if type(value) is dt.date
                else (value.date() if hasattr(value, "date") else dt.date.fromisoformat(str(value)))
            )
        if want is bool:
            if isinstance(value, (bool, int)) and value in (0, 1):
                return bool(value)
            raise ValueError
        if want is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return want(value)
    except (ValueError, TypeError, AttributeError):
        raise QueryError(f"{where} must be a {kind}, got {str(value)[:40]!r}") from None


def bind_rows(name: str, rows: list[tuple] | pd.DataFrame) -> dict[str, Any]:
    """Validate rows against the query's `-- rows:` declaration and name each value for binding."""
    spec = bound_rows_spec(name)
    if spec is None:
        raise QueryError(f"query '{name}' takes no rows (it declares no `-- rows:` table)")
    table, cols = spec
    records = (
        list(rows[[c for c, _ in cols]].itertuples(index=False, name=None))
        if isinstance(rows, pd.DataFrame)
        else list(rows)
    )
    if len(records) > MAX_BOUND_ROWS:
        raise QueryError(
            f"query '{name}' was given {len(records)} rows for {table}; send at most "
            f"{MAX_BOUND_ROWS} at a time"
        )
    out: dict[str, Any] = {}
    for i, rec in enumerate(records):
        if len(rec) != len(cols):
            raise QueryError(
                f"{table} row {i} has {len(rec)} values; expected {len(cols)} "
                f"({', '.join(c for c, _ in cols)})"
            )
        for j, ((col, kind), value) in enumerate(zip(cols, rec)):
            out[f"row_{i}_{j}"] = _coerce_row_value(value, kind, f"{table}.{col} in row {i}")
    return out


def _peer_cte(n: int) -> str:
    """Siblings of the user's own nodes that are not in the user's subtree."""
    if n == 0:
        return "select org_id from orgs where 1 = 0"
    marks = _marks("scope", n)
    return (
        f"select o.org_id from orgs o join orgs me on me.parent_id = o.parent_id where me.org_id "
        f"in ({marks}) "
        f"and o.org_id not in (select descendant_id from org_closure where ancestor_id in ({marks}))"
    )


NODE_ORGS_SQL = (
    "select c.descendant_id as org_id from org_closure c "
    "join scope_orgs s on s.org_id = c.descendant_id where c.ancestor_id = :org_id"
)
# The org sets a page query may read around its chosen `org_id`, written once here and added to a query
# that reads them: its subtree, and its children (a manager, the tree's leaf, stands for itself).
NODE_CTES = {
    "node_orgs": NODE_ORGS_SQL,
    "child_orgs": "select o.org_id from orgs o join scope_orgs s on s.org_id = o.org_id "
    "where o.parent_id = :org_id or (o.org_id = :org_id and o.level = 4)",
}


def _node_cte(name: str, cte: str) -> str:
    if not any(p.name == "org_id" and p.type == "org" for p in queries.get(name).params):
        raise QueryError(f"query '{name}' reads {cte} but declares no `-- param: org_id org`")
    return NODE_CTES[cte]


def _cte(name: str, sql: str | exp.Expr) -> exp.CTE:
    this = sqlglot.parse_one(sql, read="duckdb") if isinstance(sql, str) else sql
    return exp.CTE(this=this, alias=exp.TableAlias(this=exp.to_identifier(name)))


def _included(name: str, peers: bool) -> exp.CTE:
    """An included named query as a CTE; in a ranking it reads the whole tree (`cohort_orgs`).

    Its own CTEs are renamed `NAME__cte`: dialects without nested CTEs (Spark, Hive) get them all moved
    to the top level, where two `final`s would clash."""
    tree = sqlglot.parse_one(queries.get(name).sql, read="duckdb")
    with_ = tree.args.get("with_") or tree.args.get("with")
    inner = {cte.alias for cte in with_.expressions} if with_ is not None else set()
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in inner:
            table.set("alias", table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(f"{name}__{table.name}"))
    for cte in with_.expressions if with_ is not None else ():
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(f"{name}__{cte.alias}")))
    if peers:
        for table in tree.find_all(exp.Table):
            if table.name == "scope_orgs":
                table.set("this", exp.to_identifier("cohort_orgs"))
    return _cte(name, tree)


@lru_cache(maxsize=512)
def _template(name: str, dialect: str, scoped: bool, with_rows: bool) -> str:
    return _assemble(name, int(scoped), dialect, int(with_rows))


def render(name: str, scope_size: int, dialect: str, rows_size: int = 0) -> str:
    """The SQL text for a named query with a scope of `scope_size` nodes and `rows_size` bound rows, in the
    engine's dialect.

    sqlglot assembles and transpiles a query in 5 to 170 ms, so that is done once per query and engine
    (`_template`, with one scope node and one bound row), and the marks of the scope's nodes and of the rows
    are then repeated in its text: the only parts that differ between sizes. Only trusted text goes in here
    (the query file and placeholder lists); values are bound later."""
    text = _template(name, dialect, scope_size > 0, rows_size > 0)
    if scope_size > 1:
        text = re.sub(r":scope_0\b", _marks("scope", scope_size), text)
    if rows_size > 1:
        spec = bound_rows_spec(name)
        width = len(spec[1]) if spec is not None else 0
        one = _row_marks(1, width)
        if text.count(one) != 1:  # not written as expected by this engine: assemble it whole
            return _assemble(name, scope_size, dialect, rows_size)
        text = text.replace(one, _row_marks(rows_size, width))
    return text


def _assemble(name: str, scope_size: int, dialect: str, rows_size: int) -> str:
    """The named query with its scope, bound rows, peers and included queries as CTEs, transpiled."""
    q = queries.get(name)
    tree = sqlglot.parse_one(q.sql, read="duckdb")
    spec = bound_rows_spec(name)
    ctes = [_cte(spec[0], _rows_cte(spec[1], rows_size))] if spec is not None else []
    if q.scope in ("subtree", "peers"):
        ctes.append(_cte("scope_orgs", _scope_cte(scope_size)))
    if q.scope == "peers":
        ctes += [_cte("peer_orgs", _peer_cte(scope_size)), _cte("cohort_orgs", "select org_id from orgs")]
    included = [_included(inc, q.scope == "peers") for inc in q.includes]
    read = {t.name for part in (tree, *included) for t in part.find_all(exp.Table)}
    ctes += [_cte(cte, _node_cte(name, cte)) for cte in NODE_CTES if cte in read]
    ctes += included
    if ctes:
        with_ = tree.args.get("with_") or tree.args.get("with")
        if with_ is not None:
            with_.set("expressions", [*ctes, *with_.expressions])
        else:
            tree.set("with_" if "with_" in tree.arg_types else "with", exp.With(expressions=ctes))
    tree = tree.transform(lambda n: exp.var(f":{n.name}") if isinstance(n, exp.Placeholder) else n)
    return transpile(tree, dialect)


def _spark_node(node: exp.Expression) -> exp.Expression:
    # DuckDB reads 1.0 as a decimal and divides in double; Spark would keep decimals, rounded to 5 or 6
    # places.
    if isinstance(node, exp.Literal) and node.is_number and not node.is_int:
        return exp.cast(node.copy(), "double")
    # sqlglot writes an exact percentile_cont as Spark's percentile_approx; `percentile` is the exact one.
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        (order,) = node.expression.expressions
        q = node.this.this.copy()
        q = exp.Sub(this=exp.Literal.number(1), expression=q) if order.args.get("desc") else q
        return exp.Anonymous(this="percentile", expressions=[order.this.copy(), q])
    return node


def transpile(sql: str | exp.Expression, dialect: str) -> str:
    """DuckDB SQL in an engine's dialect, with the fixes sqlglot's output needs there to return the same
    values (each checked by running it: tests/test_postgres.py, tests/test_spark.py)."""
    tree = sqlglot.parse_one(sql, read="duckdb") if isinstance(sql, str) else sql
    if dialect in ("spark", "databricks"):
        tree = tree.transform(_spark_node)
    return tree.sql(dialect=dialect)


class Warehouse:
    """A connection pool to one warehouse, and the only way to run a named query."""

    def __init__(self, target: str, read_only: bool = True, memory_limit: str | None = None):
        """`memory_limit` (DuckDB only, e.g. "4GB"): what the build's steps give DuckDB in this process."""
        self.target = target
        self.url = _to_url(target)
        self.dialect = _dialect(self.url)
        args: dict[str, Any] = {}
        path = Path(self.url.removeprefix("duckdb:///")) if self.dialect == "duckdb" else None
        self._remember(path)
        if path is not None:
            if read_only and not path.exists():
                raise WarehouseError(
                    f"No warehouse at {path}: build the demo bank with `cockpit seed` or import "
                    f"data with `cockpit import`."
                )
            connect: dict[str, Any] = {"read_only": read_only}
            if memory_limit:
                connect["config"] = {"memory_limit": memory_limit}
            args = {"connect_args": connect}
        self.engine = sa.create_engine(self.url, **args)
        self._lock = threading.Lock()

    def _remember(self, file: Path | None) -> None:
        """The memory of `paths` (see PATHS_SECONDS), and the DuckDB file whose writes make it ask afresh."""
        self._file, self._wal = file, None if file is None else file.with_name(file.name + ".wal")
        self._paths: cachetools.TTLCache = cachetools.TTLCache(PATHS_KEPT, PATHS_SECONDS)
        self._paths_lock = threading.Lock()
        self._tree: cachetools.TTLCache = cachetools.TTLCache(TREE_KEPT, PATHS_SECONDS)

    def _frame(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        try:
            with self.engine.connect() as conn:
                if self.dialect == "duckdb":  # columns handed over as Arrow, not value by value
                    return arrow_read.frame(conn, sql, params)
                return pd.read_sql(sa.text(sql), conn, params=params)
        except duckdb.Error as e:
            first = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            raise WarehouseError(f"A query failed in the warehouse: {first}") from None
        except (sa.exc.DBAPIError, pd.errors.DatabaseError) as e:
            # one line from the driver, never the SQL text or the bound values (pandas wraps both in)
            cause: BaseException | None = e
            while cause is not None and not isinstance(cause, sa.exc.DBAPIError):
                cause = cause.__cause__
            if isinstance(cause, sa.exc.OperationalError):
                raise WarehouseError(
                    f"The warehouse could not be reached ({type(cause.orig).__name__}). "
                    "Check COCKPIT_WAREHOUSE."
                ) from None
            first = str(cause.orig).splitlines()[0][:200] if cause is not None else type(e).__name__
            raise WarehouseError(f"A query failed in the warehouse: {first}") from None

    def sql(self, text: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run trusted SQL written by the project (tests, importers, admin tools). Never for user text."""
        return self._frame(text, params or {})

    def tree(self, text: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Trusted SQL over the org tree's shape (its roots, the nodes of a level), remembered like `paths`:
        the scorecard asks it for every period it ranks, and the tree changes only with a new import."""
        key = (self._written(), text, tuple(sorted((params or {}).items())))
        with self._paths_lock:
            known = self._tree.get(key)
        if known is None:
            known = self.sql(text, params)
            with self._paths_lock:
                self._tree[key] = known
        return known.copy()

    def visible_orgs(self, scope: Scope) -> set[str]:
        """Every org node in the user's subtrees."""
        df = self.sql(_scope_cte(len(scope.org_ids)), _scope_params(scope))
        return set(df["org_id"])

    def sees(self, scope: Scope, org_id: str) -> bool:
        """Whether the org node is in the user's subtrees (one row read, not the subtree)."""
        return bool(self.paths(scope, [org_id]))

    def paths(self, scope: Scope, org_ids: Any) -> dict[str, str]:
        """org_id -> materialised path of those of `org_ids` inside the user's subtrees (the rest are left
        out): for a few nodes of a large tree, read without the whole subtree, the ids bound in chunks, each
        answer remembered for PATHS_SECONDS."""
        asked = sorted({str(o) for o in org_ids if o is not None and o == o})
        at = (self._written(), scope.org_ids)
        with self._paths_lock:
            known = {o: self._paths.get((at, o), self) for o in asked}
        out = {o: p for o, p in known.items() if isinstance(p, str)}
        ids = [o for o, p in known.items() if p is self]  # not asked in the last PATHS_SECONDS
        found: dict[str, str] = {}
        for i in range(0, len(ids), ID_CHUNK):
            part = ids[i : i + ID_CHUNK]
            marks = ", ".join(f":id_{j}" for j in range(len(part)))
            df = self.sql(
                f"select o.org_id, o.path from orgs o join ({_scope_cte(len(scope.org_ids))}) s "
                f"on s.org_id = o.org_id where o.org_id in ({marks})",
                {**_scope_params(scope), **{f"id_{j}": v for j, v in enumerate(part)}},
            )
            found.update(zip(df["org_id"], df["path"]))
        with self._paths_lock:
            for o in ids:
                self._paths[(at, o)] = found.get(o)  # None: outside the scope, or no such node
        return {**out, **found}

    def _written(self) -> tuple[int, ...]:
        """When a DuckDB file and its write-ahead log last changed: a rewritten warehouse is asked afresh."""
        if self._file is None or self._wal is None:
            return ()
        return tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in (self._file, self._wal))

    def peer_orgs(self, scope: Scope) -> set[str]:
        """The siblings of the user's own nodes outside their subtree: seen only as ranking rows."""
        df = self.sql(_peer_cte(len(scope.org_ids)), _scope_params(scope))
        return set(df["org_id"])

    def _only_allowed_rows(self, name: str, df: pd.DataFrame, scope: Scope) -> pd.DataFrame:
        """A peers query's output: own rows whole, peer rows reduced to PEER_COLUMNS, nothing else."""
        if "org_id" not in df.columns:
            raise QueryError(f"query '{name}' ranks peers and must return an org_id column")
        ids = {*df["org_id"], *(v for c in df.columns if c.endswith("_org_id") for v in df[c])}
        visible, peers = set(self.paths(scope, ids)), self.peer_orgs(scope)
        df = df[df["org_id"].isin(visible | peers)].reset_index(drop=True)
        peer = ~df["org_id"].isin(visible)
        for col in df.columns:
            if col.endswith("_org_id"):
                df[col] = df[col].astype(object).where(df[col].isin(visible), None)
            elif col not in PEER_COLUMNS and peer.any():
                df[col] = df[col].astype(object).where(~peer, None)
        if peer.any() and config.get("COCKPIT_ANONYMISE_PEERS").strip().lower() in {"1", "true", "yes"}:
            for col, word in (("name_zh", "同级机构"), ("name_en", "Peer")):
                if col in df.columns:
                    df[col] = df[col].astype(object)
                    df.loc[peer, col] = [f"{word} {i + 1}" for i in range(int(peer.sum()))]
            df["org_id"] = df["org_id"].astype(object).where(~peer, None)
        return df

    def _prepared(
        self, name: str, bound: dict[str, Any], scope: tuple[str, ...] | None = None
    ) -> pd.DataFrame | None:
        """The answer `cockpit build` kept for exactly these parameters, or None (see
        cockpit/warehouse/prepared.py). Asked after the reader's right to the node is checked."""
        try:
            key = prepared.key(bound, scope)
            df = self.sql(prepared.READ_SQL, {"q": name, "org": bound["org_id"], "p": key})
        except WarehouseError:  # a warehouse built before the table existed
            return None
        return None if df.empty else prepared.decode(df["payload"].iloc[0])

    def check_org(self, scope: Scope, org_id: str) -> None:
        """Refuse an org node outside the user's scope, with the same message whether or not it exists. Asks
        for the one node (a bank's tree has tens of thousands); the whole subtree is read only to refuse."""
        if self.sees(scope, org_id):
            return
        visible = self.visible_orgs(scope) if scope.org_ids else set()
        if visible and len(visible) == int(self.sql("select count(*) as n from orgs")["n"].iloc[0]):
            raise UnknownOrgError(f"Org '{str(org_id)[:40]}' does not exist in this warehouse.")
        raise ScopeError(f"Org '{str(org_id)[:40]}' is outside your scope; nothing is shown.")

    def run(
        self,
        name: str,
        scope: Scope,
        params: dict[str, Any] | None = None,
        rows: list[tuple] | pd.DataFrame | None = None,
        settings: dict[str, Any] | None = None,
        use_stored: bool = True,
    ) -> pd.DataFrame:
        """Run a named query for a user: validate parameters, check org parameters, bind, scope.

        `rows` fills the table a query declares with `-- rows:` (every value bound; none given = empty).
        `settings` fills its `-- setting:` values; only the module owning that configuration passes them.
        A query with `-- stored:` is answered by its stored query when that returns rows (figures written by
        `cockpit build`), else computed here; `use_stored=False` always computes (tests, the benchmark).
        """
        q = queries.get(name)
        if q.stored is not None and rows is None and use_stored:
            try:
                stored = self.run(q.stored, scope, params, settings=settings)
            except WarehouseError as e:  # a warehouse built before this stored table existed
                log.warning("%s: stored figures not read (%s); computing them", name, str(e)[:200])
                stored = pd.DataFrame()
            if not stored.empty:
                return stored
        bound = q.bind(dict(params or {}), settings)
        rows_bound = bind_rows(name, rows) if rows is not None else {}
        bound.update(rows_bound)
        for p in q.params:
            if p.type == "org":
                self.check_org(scope, bound[p.name])
        if q.prepared is not None and rows is None and use_stored:
            kept = self._prepared(name, bound, scope.org_ids if q.per_scope else None)
            if kept is not None:
                return kept
        if q.scope in ("subtree", "peers"):
            bound.update(_scope_params(scope))
        n_rows = len(rows_bound) // len(bound_rows_spec(name)[1]) if rows_bound else 0  # type: ignore[index]
        df = self._frame(render(name, len(scope.org_ids), self.dialect, n_rows), bound)
        return self._only_allowed_rows(name, df, scope) if q.scope == "peers" else df


@lru_cache(maxsize=8)
def open_warehouse(target: str, read_only: bool = True) -> Warehouse:
    """One Warehouse per target and mode in this process (its pool is thread-safe)."""
    return Warehouse(target, read_only=read_only)


__all__ = [
    "PEER_COLUMNS",
    "Scope",
    "ScopeError",
    "Warehouse",
    "WarehouseError",
    "QueryError",
    "open_warehouse",
    "render",
    "transpile",
]
