"""Branch scorecards: dimensions, indicators, weights and rules from scorecard.yaml, scored in the warehouse.

The scoring runs in SQL (`scorecard_scores`, a `peers` query) because a node's percentile and
min-max depend on every node of its tier, which a branch head may not see: the warehouse layer
returns their own subtree in full and their peers only as ranking rows (name, score, rank).
This module validates the configuration, turns it into the query's parameters, and shapes the
result: the ranking, the points each indicator lost, the rank change since the last period.

Rules: capped = min(made / due, cap) / cap, due being what the target asks by now as on the targets
page (a flow's target x time progress; a balance's opening value plus that share of its planned increase,
`made` then counted from the opening value; inverted when lower is better), percentile = share of the tier's other nodes it equals or beats (ties share the
higher value), minmax =
(value - worst) / (best - worst) in the tier. Each indicator's points = its weight share of 100
times its 0..1 score; an indicator that cannot be scored (no target) passes its weight to the rest.
A node's figures are its whole subtree's, so scores roll up through the tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cockpit import metrics, queries
from cockpit.calendar import Progress
from cockpit.periods import Period

CONFIG = Path(__file__).with_name("scorecard.yaml")
QUERY = "scorecard_scores"
RULES = ("capped", "percentile", "minmax")


class ScorecardError(ValueError):
    """The scorecard configuration breaks a rule; the message says which."""


@dataclass(frozen=True)
class Indicator:
    metric: str
    dimension: str
    weight: float
    rule: str


@dataclass(frozen=True)
class Config:
    cap: float
    dimensions: dict[str, dict[str, str]]  # id -> {zh, en}
    indicators: tuple[Indicator, ...]


def load(text: str | None = None) -> Config:
    """Read and check the configuration: known metrics, known rules, weights adding up to 100."""
    raw = yaml.safe_load(text if text is not None else CONFIG.read_text(encoding="utf-8"))
    declared = {p.name for p in queries.get(QUERY).params}
    inds, dims = [], {}
    for did, dim in raw["dimensions"].items():
        dims[did] = dim["name"]
        for mid, spec in dim["indicators"].items():
            metrics.get(mid)
            if spec["rule"] not in RULES:
                raise ScorecardError(f"indicator {mid}: rule must be one of {', '.join(RULES)}")
            if f"w_{mid}" not in declared:
                raise ScorecardError(f"indicator {mid}: {QUERY}.sql has no weight parameter for it")
            if float(spec["weight"]) < 0:
                raise ScorecardError(f"indicator {mid}: weight must not be negative")
            inds.append(Indicator(mid, did, float(spec["weight"]), spec["rule"]))
    if len({i.metric for i in inds}) != len(inds):
        raise ScorecardError("an indicator appears twice")
    total = sum(i.weight for i in inds)
    if abs(total - 100) > 1e-9:
        raise ScorecardError(f"weights add up to {total:g}, not 100")
    return Config(float(raw.get("cap", 1.2)), dims, tuple(inds))


@lru_cache(maxsize=1)
def config() -> Config:
    return load()


def params(org_id: str, period: Period, progress: Progress, cfg: Config | None = None) -> dict:
    """The `scorecard_scores` parameters for a node and period: window, targets, time progress, rules."""
    cfg = cfg or config()
    out = {"org_id": org_id, "start": period.start, "end": period.to_date, "period_type": period.kind,
           "period_start": period.start, "progress": min(progress.ratio, 1.0), "cap": cfg.cap,
           "lower": ",".join(m.id for m in metrics.all() if not m.higher_is_better)}
    for i in cfg.indicators:
        out[f"w_{i.metric}"], out[f"r_{i.metric}"] = i.weight, i.rule
    return out


def ranking(scores: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per node: score, rank among siblings, tier rank, quartile, relation (peer rows say 'peer'),
    and the rank change since the previous period (positive = climbed) for the user's own nodes."""
    rows = scores[scores["indicator"].isna() | (scores["indicator"] == "total")].copy()
    rows["relation"] = rows["relation"].where(rows["relation"].notna(), "peer")
    rows = rows.drop(columns=["indicator", "value", "due_value", "norm", "points", "max_points"], errors="ignore")
    rows["rank_change"] = None
    if previous is not None and not previous.empty:
        before = ranking(previous)
        before = before[before["org_id"].notna()].set_index("org_id")["rank"]
        own = rows["relation"] != "peer"
        rows.loc[own, "rank_change"] = [before.get(o) - r if o in before.index and pd.notna(before.get(o)) else None
                                        for o, r in zip(rows.loc[own, "org_id"], rows.loc[own, "rank"])]
    rows["_children_last"] = (rows["relation"] == "child").astype(int)
    return rows.sort_values(["_children_last", "rank"]).drop(columns="_children_last").reset_index(drop=True)


def has_data(scores: pd.DataFrame) -> bool:
    """Whether any of the user's indicators holds a figure other than zero (an empty period scores nobody)."""
    values = pd.to_numeric(scores.get("value", pd.Series(dtype=float)), errors="coerce")
    return bool((values.fillna(0) != 0).any())


def breakdown(scores: pd.DataFrame, org_id: str, cfg: Config | None = None) -> pd.DataFrame:
    """The node's indicators: value, target due, 0..1 score, points, maximum, points lost, dimension."""
    cfg = cfg or config()
    dims = {i.metric: i.dimension for i in cfg.indicators}
    rows = scores[(scores["org_id"] == org_id) & scores["indicator"].notna() & (scores["indicator"] != "total")].copy()
    rows["dimension"] = rows["indicator"].map(dims)
    rows["points_lost"] = rows["max_points"].astype(float) - rows["points"].astype(float)
    return rows[["indicator", "dimension", "value", "due_value", "norm", "points", "max_points", "points_lost"]].reset_index(drop=True)


def by_dimension(detail: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """Points and points lost per dimension, in configuration order."""
    cfg = cfg or config()
    order = list(cfg.dimensions)
    out = detail.groupby("dimension", as_index=False)[["points", "max_points", "points_lost"]].sum()
    return out.sort_values("dimension", key=lambda s: s.map(order.index)).reset_index(drop=True)


def detail_for_display(detail: pd.DataFrame, lang: str, dims: dict[str, str]) -> pd.DataFrame:
    """The breakdown with names from the metric dictionary and figures formatted by unit."""
    from cockpit import i18n

    return pd.DataFrame({
        "dimension": detail["dimension"].map(dims),
        "indicator": [metrics.get(m).name(lang) for m in detail["indicator"]],
        "value": [metrics.get(m).fmt(None if pd.isna(v) else float(v), lang) for m, v in zip(detail["indicator"], detail["value"])],
        "due": [metrics.get(m).fmt(None if pd.isna(v) else float(v), lang) for m, v in zip(detail["indicator"], detail["due_value"])],
        "norm": [i18n.pct(None if pd.isna(v) else float(v), lang) for v in detail["norm"]],
        "points": [i18n.fmt(None if pd.isna(v) else float(v), "score", lang) for v in detail["points"]],
        "max_points": [i18n.fmt(None if pd.isna(v) else float(v), "score", lang) for v in detail["max_points"]],
        "points_lost": [i18n.fmt(None if pd.isna(v) else float(v), "score", lang) for v in detail["points_lost"]],
    })


def rules_table(cfg: Config, lang: str) -> pd.DataFrame:
    """The configuration as a table for the page: dimension, indicator, weight, rule, the indicator's definition."""
    return pd.DataFrame([{"dimension": cfg.dimensions[i.dimension][lang], "indicator": metrics.get(i.metric).name(lang),
                          "weight": i.weight, "rule": i.rule, "definition": metrics.get(i.metric).definition(lang)}
                         for i in cfg.indicators])
