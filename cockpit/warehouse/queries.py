"""Named queries: one SQL file per query in queries/, with a header that declares it.

Header lines (SQL comments at the top of the file):

    -- description: What the query answers, one line.
    -- scope: subtree | none | peers  (default subtree: the query must read `scope_orgs`)
    -- param: NAME TYPE [= DEFAULT]   (TYPE: org, date, int, float, str, bool, or one of(a|b|c))
    -- include: NAME                  (another named query, available as a CTE of that name)
    -- setting: NAME TYPE [= DEFAULT] (like a param, but set only by the module that owns the rule, from its
                                       configuration: `Warehouse.run(settings=...)`; no caller may give it)
    -- stored: NAME                   (a query over figures stored by `cockpit build`, same parameters and
                                       columns: the layer runs it first and this query only when it
                                       returns no rows)
    -- prepared: [NAME=V1|V2 ...]      (`cockpit build` runs the query for the head office and the branches
                                       over the current month, quarter and year (or the last day, for an
                                       `as_of` query), with these values (others at their defaults), and
                                       keeps the answers: cockpit/warehouse/prepared.py)

The warehouse layer adds a `scope_orgs(org_id)` CTE holding every org node the user may see;
a subtree query joins it. A `peers` query (rankings) also gets `peer_orgs(org_id)`, the siblings
of the user's own nodes, and may compute over the whole tree; the layer then keeps only rows for
`scope_orgs` (all columns) and `peer_orgs` (only the PEER_COLUMNS), see cockpit/warehouse/layer.py.
An included query's parameters that the including query does not declare are fixed at their
defaults, so a caller cannot widen what the included query computes. Parameters are validated against their
declared types and bound by
the database driver, never spliced into the SQL text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"

_HEADER = re.compile(r"^--\s*(description|scope|param|setting|include|stored|prepared):\s*(.*?)\s*$")
SCOPES = ("subtree", "none", "peers")
_PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>org|date|int|float|str|bool|one "
    r"of\([^)]*\))(?:\s*=\s*(?P<default>.*))?$"
)


INT_LIMIT = 1_000_000  # whole-number parameters (days, weeks, limits) beyond this are input mistakes


class QueryError(ValueError):
    """A query was asked for wrongly: unknown name, unknown or invalid parameter. The message says which."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any) -> Any:
        """Turn a value from a widget, a URL or the command line into the declared type, or refuse it."""
        if value is None:
            raise QueryError(f"parameter '{self.name}' is required")
        try:
            if self.type == "date":
                return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
            if self.type == "int":
                if isinstance(value, bool):
                    raise ValueError
                n = int(str(value).strip())
                if abs(n) > INT_LIMIT:
                    raise ValueError
                return n
            if self.type == "float":
                return float(str(value).strip())
            if self.type == "bool":
                s = str(value).strip().lower()
                if s in {"1", "true", "yes"}:
                    return True
                if s in {"0", "false", "no"}:
                    return False
                raise ValueError
        except ValueError:
            limit = f" within ±{INT_LIMIT:,}" if self.type == "int" else ""
            raise QueryError(
                f"parameter '{self.name}' must be a {self.type}{limit}, got {str(value)[:40]!r}"
            ) from None
        s = str(value)
        if self.choices and s not in self.choices:
            raise QueryError(
                f"parameter '{self.name}' must be one of {', '.join(self.choices)}; got {s[:40]!r}"
            )
        if self.type == "org" and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", s):
            raise QueryError(f"parameter '{self.name}' is not an org id: {s[:40]!r}")
        if len(s) > 200:
            raise QueryError(f"parameter '{self.name}' is too long ({len(s)} characters)")
        return s


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str
    scope: str = "subtree"
    params: tuple[Param, ...] = field(default_factory=tuple)
    includes: tuple[str, ...] = ()
    fixed: tuple[Param, ...] = ()  # parameters of included queries, always at their defaults
    settings: tuple[Param, ...] = ()  # set from the owning module's configuration, never by a caller
    stored: str | None = None  # the query over stored figures tried first (`-- stored:`)
    prepared: tuple[tuple[str, tuple[str, ...]], ...] | None = None  # values kept by `cockpit build`
    per_scope: bool = False  # a prepared query reading `scope_orgs`: its answers are kept per reader's scope

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query '{self.name}' has no parameter '{name}' (it takes: {known})")

    def bind(self, given: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validate given parameters against the declaration; fill defaults; refuse unknown ones.

        Settings (weights, rules) come only through `settings`, from the configuration that owns them: a
        caller who names one in `given` is refused, so nobody can re-weight a ranking to solve for peers."""
        own = {p.name for p in self.settings}
        for key in given:
            if key in own:
                raise QueryError(
                    f"'{key}' of query '{self.name}' is set by the cockpit's configuration, not by the caller"
                )
            self.param(key)
        for key in settings or {}:
            if key not in own:
                raise QueryError(f"query '{self.name}' has no setting '{key}'")
        out: dict[str, Any] = {}
        for p in self.params:
            value = given.get(p.name, p.default)
            out[p.name] = p.coerce(value)
        for p in self.fixed:
            out[p.name] = p.coerce(p.default)
        for p in self.settings:
            out[p.name] = p.coerce((settings or {}).get(p.name, p.default))
        return out


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {
        "description": "",
        "scope": "subtree",
        "params": [],
        "setting": [],
        "include": [],
        "stored": None,
        "prepared": None,
    }
    for line in text.splitlines():
        if not line.startswith("--"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key in ("param", "setting"):
            pm = _PARAM.match(value)
            if not pm:
                raise QueryError(f"{path.name}: bad {key} line {value!r}")
            ptype, choices = pm["type"], tuple[str, ...]()
            if ptype.startswith("one of"):
                choices = tuple(c.strip() for c in ptype[7:-1].split("|"))
                ptype = "str"
            meta["params" if key == "param" else "setting"].append(
                Param(pm["name"], ptype, pm["default"], choices)
            )
        elif key == "include":
            meta["include"].append(value)
        elif key == "prepared":
            meta["prepared"] = _prepared_values(path.name, value)
        else:
            meta[key] = value
    if meta["scope"] not in SCOPES:
        raise QueryError(f"{path.name}: scope must be one of {', '.join(SCOPES)}")
    return NamedQuery(
        path.stem,
        meta["description"],
        text,
        meta["scope"],
        tuple(meta["params"]),
        tuple(meta["include"]),
        settings=tuple(meta["setting"]),
        stored=meta["stored"],
        prepared=meta["prepared"],
    )


def _prepared_values(file: str, value: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`-- prepared: stage=S|I|C max_rows=50` as ((name, values), ...)."""
    out = []
    for part in value.split():
        name, eq, values = part.partition("=")
        if not eq or not name or not values:
            raise QueryError(f"{file}: bad prepared value {part!r} (write NAME=V1|V2)")
        out.append((name, tuple(values.split("|"))))
    return tuple(out)


def _check_prepared(q: NamedQuery, known: dict[str, NamedQuery]) -> NamedQuery:
    """A prepared query's answer must depend on its parameters and the reader's scope only: a subtree query
    with one org parameter, no settings or rows, and a window (`start`, `end`) or a day (`as_of`) the build
    can fill. One that reads `scope_orgs` (not only the node's subtree) is kept per scope (`per_scope`)."""
    if q.prepared is None:
        return q
    names = {p.name: p for p in q.params}
    text = " ".join([q.sql, *(known[i].sql for i in q.includes if i in known)])
    orgs = [p.name for p in q.params if p.type == "org"]
    window = {"start", "end"} <= names.keys() or "as_of" in names
    problem = (
        "it must be a subtree query without settings or rows"
        if q.scope != "subtree" or q.settings or "-- rows:" in text
        else "it must take one org parameter, org_id"
        if orgs != ["org_id"]
        else "it must take start and end, or as_of"
        if not window
        else ""
    )
    for name, values in q.prepared:
        if problem:
            break
        if name not in names or name in {"org_id", "start", "end", "as_of"}:
            problem = f"'{name}' is not a parameter it may be prepared with"
            break
        for v in values:
            names[name].coerce(v)
    if problem:
        raise QueryError(f"{q.name}.sql: cannot be prepared: {problem}")
    return dataclasses.replace(q, per_scope="scope_orgs" in text)


def _resolve(q: NamedQuery, known: dict[str, NamedQuery]) -> NamedQuery:
    """Fix the parameters an included query adds; refuse unknown or nested includes and undefaulted ones."""
    fixed: dict[str, Param] = {}
    own = {p.name for p in (*q.params, *q.settings)}
    for name in q.includes:
        inc = known.get(name)
        if inc is None or inc.includes or inc.scope == "peers":
            raise QueryError(
                f"{q.name}.sql: cannot include '{name}' (unknown, itself including, or a peers query)"
            )
        for p in inc.params:
            if p.name not in own:
                if p.default is None:
                    raise QueryError(
                        f"{q.name}.sql: declare '{p.name}' (a parameter of included '{name}' without default)"
                    )
                fixed[p.name] = p
    return NamedQuery(
        q.name,
        q.description,
        q.sql,
        q.scope,
        q.params,
        q.includes,
        tuple(fixed.values()),
        q.settings,
        q.stored,
        q.prepared,
        q.per_scope,
    )


@lru_cache(maxsize=1)
def catalogue() -> dict[str, NamedQuery]:
    """Every named query in queries/, by name."""
    parsed = {p.stem: _parse(p) for p in sorted(QUERIES_DIR.glob("*.sql"))}
    for q in parsed.values():
        _check_stored(q, parsed)
    parsed = {name: _check_prepared(q, parsed) for name, q in parsed.items()}
    return {name: _resolve(q, parsed) if q.includes else q for name, q in parsed.items()}


def _check_stored(q: NamedQuery, known: dict[str, NamedQuery]) -> None:
    """A stored query stands in for its query: it must take exactly the same parameters and scope."""
    if q.stored is None:
        return
    alt = known.get(q.stored)
    if (
        alt is None
        or alt.stored is not None
        or (alt.params, alt.settings, alt.scope) != (q.params, q.settings, q.scope)
    ):
        raise QueryError(
            f"{q.name}.sql: stored query '{q.stored}' must exist, declare the same parameters, settings "
            "and scope, and have no stored query itself"
        )


def get(name: str) -> NamedQuery:
    try:
        return catalogue()[name]
    except KeyError:
        raise QueryError(f"unknown query '{name}': `cockpit query --list` shows the names") from None
