"""Branch scorecards: dimensions, indicators, weights and rules from scorecard.yaml, scored in the warehouse.

The scoring runs in SQL (`scorecard_scores`, a `peers` query) because ranks compare every node of a
tier, which a branch head may not see: the warehouse layer returns their own subtree in full and their
peers only as ranking rows (name, score, rank). This module validates the configuration, hands it to the
query as settings (no caller can re-weight or re-rule it), and shapes the result: the ranking, the points
each indicator lost, the rank change since the last period.

Rules: capped = min(made / due, cap) / cap, due being what the target asks by now as on the targets
page (a flow's target x time progress; a balance's opening value plus that share of its planned increase,
`made` then counted from the opening value; inverted when lower is better); bands = (value - floor) /
(goal - floor) within 0..1, floor and goal fixed in scorecard.yaml. No rule reads another node's figure, so a
node's own value and score tell nothing of its tier (a min-max or percentile rule would give away the tier's
best and worst). Each indicator's points = its weight share of 100 times its 0..1 score; an indicator that
cannot be scored (no target) passes its weight to the rest.
A node's figures are its whole subtree's, so scores roll up through the tree.

Action follow-through (LOOP; `action_loop` in scorecard.yaml): actions done by their due date and their
measured
effect, scored 0..1 by cockpit/domain/outcome.py from the app's own state, reach the query as bound rows.
Where a node has
actions due in the period the indicator takes its weight W of the 100 points and the other indicators share
100 - W;
a node with none keeps the total of its other indicators (so having no action neither helps nor hurts its
rank).
Peers are scored on their own actions (the whole tree, as for every other indicator), but only their score is
sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cockpit.core.calendar import Progress
from cockpit.core.periods import Period
from cockpit.domain import metrics, outcome
from cockpit.warehouse import queries
from cockpit.warehouse.layer import Scope, Warehouse

CONFIG = Path(__file__).with_name("scorecard.yaml")
QUERY = "scorecard_scores"
RULES = ("capped", "bands")
SIZED_UNITS = (
    "money",
    "count",
)  # figures that grow with the node: scored against a target, never fixed bands
LOOP = "action_loop"
LOOP_COLUMNS = ["actions_due", "actions_done_on_time", "action_effect"]  # its figures, on its own row only


class ScorecardError(ValueError):
    """The scorecard configuration breaks a rule; the message says which."""


@dataclass(frozen=True)
class Indicator:
    metric: str
    dimension: str
    weight: float
    rule: str
    floor: float = 0.0  # bands: the value scoring 0
    goal: float = 1.0  # bands: the value scoring 1


@dataclass(frozen=True)
class Config:
    cap: float
    dimensions: dict[str, dict[str, str]]  # id -> {zh, en}
    indicators: tuple[Indicator, ...]
    loop_weight: float = 0.0  # the action follow-through indicator's share of the 100 points
    loop_name: dict[str, str] = field(default_factory=dict)  # {zh, en}


def load(text: str | None = None) -> Config:
    """Read and check the configuration: known metrics, known rules, weights adding up to 100."""
    raw = yaml.safe_load(text if text is not None else CONFIG.read_text(encoding="utf-8"))
    declared = {p.name for p in queries.get(QUERY).settings}
    inds, dims = [], {}
    for did, dim in raw["dimensions"].items():
        dims[did] = dim["name"]
        for mid, spec in dim["indicators"].items():
            inds.append(_indicator(mid, did, spec, declared))
    if len({i.metric for i in inds}) != len(inds):
        raise ScorecardError("an indicator appears twice")
    total = sum(i.weight for i in inds)
    if abs(total - 100) > 1e-9:
        raise ScorecardError(f"weights add up to {total:g}, not 100")
    loop = raw.get(LOOP) or {}
    loop_weight = float(loop.get("weight", 0))
    if not 0 <= loop_weight < 100:
        raise ScorecardError(f"{LOOP} weight must be at least 0 and below 100, got {loop_weight:g}")
    if loop_weight > 0 and not set(loop.get("name") or {}) >= {"zh", "en"}:
        raise ScorecardError(f"{LOOP} needs a name in zh and en")
    return Config(float(raw.get("cap", 1.2)), dims, tuple(inds), loop_weight, dict(loop.get("name") or {}))


def _indicator(mid: str, did: str, spec: dict, declared: set[str]) -> Indicator:
    """One indicator of the configuration, checked: known metric and rule, bands pointing the metric's way."""
    m = metrics.get(mid)
    if spec["rule"] not in RULES:
        raise ScorecardError(
            f"indicator {mid}: rule must be one of {', '.join(RULES)} "
            "(no rule may compare a node with its tier)"
        )
    if f"w_{mid}" not in declared:
        raise ScorecardError(f"indicator {mid}: {QUERY}.sql has no weight setting for it")
    if float(spec["weight"]) < 0:
        raise ScorecardError(f"indicator {mid}: weight must not be negative")
    if spec["rule"] != "bands":
        return Indicator(mid, did, float(spec["weight"]), spec["rule"])
    if m.unit in SIZED_UNITS:
        raise ScorecardError(
            f"indicator {mid}: a {m.unit} grows with the node; score it against a target (capped)"
        )
    try:
        floor, goal = float(spec["floor"]), float(spec["goal"])
    except (KeyError, TypeError, ValueError):
        raise ScorecardError(f"indicator {mid}: bands need a numeric floor and goal") from None
    if floor == goal or (goal > floor) != m.higher_is_better:
        raise ScorecardError(
            f"indicator {mid}: its goal must be {'above' if m.higher_is_better else 'below'} its floor"
        )
    return Indicator(mid, did, float(spec["weight"]), "bands", floor, goal)


@lru_cache(maxsize=1)
def config() -> Config:
    return load()


def params(org_id: str, period: Period) -> dict:
    """The `scorecard_scores` parameters a caller gives: the node and the period (window and its targets)."""
    return {
        "org_id": org_id,
        "start": period.start,
        "end": period.to_date,
        "period_type": period.kind,
        "period_start": period.start,
    }


def settings(progress: Progress, cfg: Config | None = None) -> dict:
    """The `scorecard_scores` settings, from scorecard.yaml and the metric dictionary only: time progress,
    cap, the lower-is-better metrics, and each indicator's weight, rule, floor and goal."""
    cfg = cfg or config()
    out: dict = {
        "progress": min(progress.ratio, 1.0),
        "cap": cfg.cap,
        "lower": ",".join(m.id for m in metrics.all() if not m.higher_is_better),
    }
    for i in cfg.indicators:
        out[f"w_{i.metric}"], out[f"r_{i.metric}"] = i.weight, i.rule
        out[f"f_{i.metric}"], out[f"g_{i.metric}"] = i.floor, i.goal
    out[f"w_{LOOP}"] = cfg.loop_weight
    return out


def loop_rows(
    wh: Warehouse, scope: Scope, org_id: str, period: Period, cfg: Config | None = None
) -> pd.DataFrame:
    """The action follow-through figures the ranking of `org_id` needs: every node of its tier and of its
    children's
    tier with an action due, scored on the whole tree. Figures other than the score are kept only for the
    user's own
    nodes; the rest are for binding into the query (which returns peers as ranking rows only), never for
    display."""
    cfg = cfg or config()
    if cfg.loop_weight == 0:
        return pd.DataFrame(columns=outcome.INDICATOR_COLUMNS)
    wh.check_org(scope, org_id)
    cohort = outcome.cohort_scope(wh)
    tier = (  # the node's tier and the next
        "select o.org_id from orgs o join orgs me on o.level in (me.level, me.level + 1) "
        "where me.org_id = :o order by o.path"
    )
    nodes = list(wh.tree(tier, {"o": org_id}).org_id)
    rows = outcome.indicator(wh, cohort, nodes, period.start, period.to_date)
    rows = rows[rows.due > 0]
    own = rows.org_id.isin(set(wh.paths(scope, rows.org_id)))
    for col in ("due", "done_on_time", "completion", "effect"):
        rows[col] = rows[col].astype(object).where(own, None)
    return rows.reset_index(drop=True)


# Settings that do not change what the build stores: the follow-through's weight applies when the stored
# points are read, the rest say where the points come from.
READ_TIME = (f"w_{LOOP}", "source", "settings_key", "build_levels")


def settings_key(given: dict) -> str:
    """A digest of the settings the stored points were scored with (time progress, cap, weights, rules,
    floors and goals): stored rows are read only under the same ones."""
    kept = {k: v for k, v in sorted(given.items()) if k not in READ_TIME}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def scores(
    wh: Warehouse,
    scope: Scope,
    org_id: str,
    period: Period,
    progress: Progress,
    cfg: Config | None = None,
    use_stored: bool = True,
) -> pd.DataFrame:
    """The `scorecard_scores` rows of a node and period for a user, action follow-through included: from the
    points stored by `cockpit build` (cockpit/domain/scorecard_store.py) when it stored this period and these
    settings for the node's tier and its children's, else scored from the events (`use_stored=False` always
    does). The follow-through is bound either way, so ranks move as soon as an action does."""
    cfg = cfg or config()
    loop = loop_rows(wh, scope, org_id, period, cfg)
    given = settings(progress, cfg)
    if use_stored:
        stored = {**given, "source": "stored", "settings_key": settings_key(given)}
        rows = wh.run(QUERY, scope, params(org_id, period), rows=loop, settings=stored)
        if not rows.empty:
            return rows
    return wh.run(QUERY, scope, params(org_id, period), rows=loop, settings=given)


def scores_for_query(wh: Warehouse, scope: Scope, given: dict) -> pd.DataFrame:
    """`scorecard_scores` asked for by name (the command line): the caller gives the node and the period, the
    scores are those of the scorecard page (time progress from the calendar, settings from scorecard.yaml)."""
    from cockpit.core import calendar

    bound = queries.get(QUERY).bind(given)
    period = Period.containing(bound["period_type"], bound["period_start"], bound["end"])
    cal = wh.run("calendar_days", scope, {"start": period.start, "end": period.end})
    return scores(wh, scope, bound["org_id"], period, calendar.progress(cal, period))


def ranking(scores: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per node: score, rank among siblings, tier rank, quartile, relation (peer rows say 'peer'),
    the action follow-through score (`loop_score`, 0..1) and the rank change since the previous period
    (positive =
    climbed) for the user's own nodes."""
    rows = scores[scores["indicator"].isna() | (scores["indicator"] == "total")].copy()
    loop = scores[scores["indicator"] == LOOP]
    rows["loop_score"] = (
        rows["org_id"].map(loop.set_index("org_id")["norm"]).astype(float) if len(loop) else float("nan")
    )
    rows["relation"] = rows["relation"].where(rows["relation"].notna(), "peer")
    rows = rows.drop(
        columns=["indicator", "value", "due_value", "norm", "points", "max_points", *LOOP_COLUMNS],
        errors="ignore",
    )
    rows["rank_change"] = None
    if previous is not None and not previous.empty:
        before = ranking(previous)
        before = before[before["org_id"].notna()].set_index("org_id")["rank"]
        own = rows["relation"] != "peer"
        rows.loc[own, "rank_change"] = [
            before.get(o) - r if o in before.index and pd.notna(before.get(o)) else None
            for o, r in zip(rows.loc[own, "org_id"], rows.loc[own, "rank"])
        ]
    rows["_children_last"] = (rows["relation"] == "child").astype(int)
    return rows.sort_values(["_children_last", "rank"]).drop(columns="_children_last").reset_index(drop=True)


def has_data(scores: pd.DataFrame) -> bool:
    """Whether any of the user's indicators holds a figure other than zero (an empty period scores nobody)."""
    values = pd.to_numeric(scores.get("value", pd.Series(dtype=float)), errors="coerce")
    return bool((values.fillna(0) != 0).any())


def breakdown(scores: pd.DataFrame, org_id: str, cfg: Config | None = None) -> pd.DataFrame:
    """The node's indicators: value, target due, 0..1 score, points, maximum, points lost, dimension; the
    action
    follow-through row (dimension LOOP) also carries its actions due, done on time and measured effect."""
    cfg = cfg or config()
    dims = {i.metric: i.dimension for i in cfg.indicators} | {LOOP: LOOP}
    rows = scores[
        (scores["org_id"] == org_id) & scores["indicator"].notna() & (scores["indicator"] != "total")
    ].copy()
    rows["dimension"] = rows["indicator"].map(dims)
    rows["points_lost"] = rows["max_points"].astype(float) - rows["points"].astype(float)
    cols = [
        "indicator",
        "dimension",
        "value",
        "due_value",
        "norm",
        "points",
        "max_points",
        "points_lost",
        *LOOP_COLUMNS,
    ]
    rows = rows.assign(_loop=(rows["indicator"] == LOOP).astype(int)).sort_values(
        "_loop", kind="stable"
    )  # its row last
    return rows.reindex(columns=cols).reset_index(drop=True)


def dimension_names(cfg: Config, lang: str) -> dict[str, str]:
    """Dimension id -> name, the action follow-through included when it carries weight."""
    return {d: n[lang] for d, n in cfg.dimensions.items()} | (
        {LOOP: cfg.loop_name[lang]} if cfg.loop_weight else {}
    )


def indicator_name(indicator: str, lang: str, cfg: Config | None = None) -> str:
    """An indicator's name: the metric dictionary's, or the configured name of the action follow-through."""
    cfg = cfg or config()
    return cfg.loop_name[lang] if indicator == LOOP and cfg.loop_name else metrics.get(indicator).name(lang)


def by_dimension(detail: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """Points and points lost per dimension, in configuration order (the action follow-through last)."""
    cfg = cfg or config()
    order = [*cfg.dimensions, LOOP]
    out = detail.groupby("dimension", as_index=False)[["points", "max_points", "points_lost"]].sum()
    return out.sort_values("dimension", key=lambda s: s.map(order.index)).reset_index(drop=True)


def _num(v) -> float | None:
    return None if pd.isna(v) else float(v)


def _value_text(row: pd.Series, lang: str) -> tuple[str, str]:
    """(value, due) as shown: by the metric's unit, or for the action
    follow-through its on-time completion.
    """
    from cockpit.core import i18n

    if row["indicator"] != LOOP:
        m = metrics.get(row["indicator"])
        return m.fmt(_num(row["value"]), lang), m.fmt(_num(row["due_value"]), lang)
    due = 0 if pd.isna(row["actions_due"]) else int(row["actions_due"])
    if not due:
        return i18n.t("scorecard.loop.none_due", lang), "—"
    return i18n.t(
        "scorecard.loop.value",
        lang,
        done=int(row["actions_done_on_time"]),
        due=due,
        completion=i18n.pct(_num(row["value"]), lang),
    ), "—"


def detail_for_display(
    detail: pd.DataFrame, lang: str, dims: dict[str, str], cfg: Config | None = None
) -> pd.DataFrame:
    """The breakdown with names from the metric dictionary and figures formatted by unit."""
    from cockpit.core import i18n

    shown = [_value_text(r, lang) for _, r in detail.iterrows()]
    return pd.DataFrame(
        {
            "dimension": detail["dimension"].map(dims),
            "indicator": [indicator_name(m, lang, cfg) for m in detail["indicator"]],
            "value": [v for v, _ in shown],
            "due": [d for _, d in shown],
            "norm": [i18n.pct(_num(v), lang) for v in detail["norm"]],
            "points": [i18n.fmt(_num(v), "score", lang) for v in detail["points"]],
            "max_points": [i18n.fmt(_num(v), "score", lang) for v in detail["max_points"]],
            "points_lost": [i18n.fmt(_num(v), "score", lang) for v in detail["points_lost"]],
        }
    )


def loop_summary(detail: pd.DataFrame, lang: str, cfg: Config | None = None) -> str | None:
    """One sentence with the node's action follow-through figures (due, done on time, completion, effect,
    score),
    or None when the indicator carries no weight."""
    from cockpit.core import i18n

    cfg = cfg or config()
    row = detail[detail["indicator"] == LOOP]
    if row.empty:
        return None
    r = row.iloc[0]
    due = 0 if pd.isna(r["actions_due"]) else int(r["actions_due"])
    if not due:
        return i18n.t("scorecard.loop.summary_none", lang, name=cfg.loop_name[lang])
    effect = _num(r["action_effect"])
    return i18n.t(
        "scorecard.loop.summary",
        lang,
        name=cfg.loop_name[lang],
        due=due,
        done=int(r["actions_done_on_time"]),
        completion=i18n.pct(_num(r["value"]), lang),
        effect=i18n.t("scorecard.loop.effect_none", lang)
        if effect is None
        else i18n.t("scorecard.loop.effect", lang, pts=f"{effect * 100:+.1f}"),
        score=i18n.pct(_num(r["norm"]), lang),
        weight=f"{cfg.loop_weight:g}",
    )


def _rule_text(ind: Indicator, lang: str) -> str:
    """The rule as shown, in words: capped achievement, or a band from its floor to its goal in the metric's
    unit."""
    from cockpit.core import i18n

    if ind.rule != "bands":
        return i18n.t(f"scorecard.rule_text.{ind.rule}", lang)
    m = metrics.get(ind.metric)
    return i18n.t("scorecard.rule_text.bands", lang, floor=m.fmt(ind.floor, lang), goal=m.fmt(ind.goal, lang))


def rules_table(cfg: Config, lang: str) -> pd.DataFrame:
    """The configuration as a table for the page: dimension, indicator, weight, rule, the indicator's
    definition.
    """
    from cockpit.core import i18n

    rows = [
        {
            "dimension": cfg.dimensions[i.dimension][lang],
            "indicator": metrics.get(i.metric).name(lang),
            "weight": i.weight,
            "rule": _rule_text(i, lang),
            "definition": metrics.get(i.metric).definition(lang),
        }
        for i in cfg.indicators
    ]
    if cfg.loop_weight:
        rows.append(
            {
                "dimension": cfg.loop_name[lang],
                "indicator": cfg.loop_name[lang],
                "weight": cfg.loop_weight,
                "rule": i18n.t(f"scorecard.rule_text.{LOOP}", lang),
                "definition": i18n.t(
                    "scorecard.loop.definition", lang, span=f"{outcome.EFFECT_SPAN * 100:g}"
                ),
            }
        )
    return pd.DataFrame(rows)
