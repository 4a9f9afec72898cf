"""Guidance: deterministic, explainable insights for an org node and a period.

Each insight family lives in its own module with a `find(ctx)` function that runs named queries
through `Warehouse.run` with the requesting user's scope and applies one stated rule. An insight
carries its evidence (the figures and the baseline they were compared with) and renders its text
and suggested action in zh or en from templates in cockpit/core/i18n_catalogue/guidance.yaml, so the
same insight reads the same on the page, in the PDF and in the workbook.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cockpit.core import i18n
from cockpit.core.periods import Period
from cockpit.domain import metrics
from cockpit.warehouse.layer import Scope, Warehouse

AUDIENCES = ("executive", "branch_head", "frontline")
SEVERITIES = {3: "high", 2: "medium", 1: "low"}
PAGE_SIZE = 10  # insights shown at once on the page and in a report; the rest are counted


@dataclass(eq=False)
class Insight:
    """One finding. `figures` maps a template placeholder to (value, unit); `labels` to (zh, en) text."""

    type: str
    audience: str
    severity: int  # 3 high, 2 medium, 1 low
    org_id: str
    figures: dict[str, tuple[float | None, str]]
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # (zh, en)
    _detail: pd.DataFrame | None = None  # the data behind the evidence chart (see `detail`)
    key: tuple = ()  # what the finding is about (type, node, series, direction, week): identity and tie-break
    standing: bool = False  # a condition that has held for long: reported once, after the news
    # Stored guidance keeps the evidence as JSON, read into a frame only when shown: a page lists a node's
    # hundreds of insights but draws the evidence of a few.
    evidence_json: str | None = field(default=None, repr=False)

    @property
    def detail(self) -> pd.DataFrame | None:
        if self._detail is None and self.evidence_json is not None:
            self._detail = pd.read_json(io.StringIO(self.evidence_json), orient="table")
        return self._detail

    def sort_key(self) -> tuple:
        """Standing conditions after news, most severe first, then a stable key: the same warehouse gives
        the same order."""
        return (self.standing, -self.severity, self.type, self.org_id, tuple(str(k) for k in self.key))

    def stable_key(self) -> str:
        """The key as one string (what a digest remembers as sent; the stored guidance's `insight_key`)."""
        return "|".join(str(k) for k in self.key) if self.key else f"{self.type}|{self.org_id}"

    def _values(self, lang: str) -> dict[str, str]:
        out = {k: i18n.fmt(v, unit, lang) for k, (v, unit) in self.figures.items()}
        out.update({k: (zh if lang == "zh" else en) for k, (zh, en) in self.labels.items()})
        return out

    def text(self, lang: str = "zh") -> str:
        return i18n.t(f"guidance.{self.type}.text", lang, **self._values(lang))

    def action(self, lang: str = "zh") -> str:
        return i18n.t(f"guidance.{self.type}.action", lang, **self._values(lang))

    def title(self, lang: str = "zh") -> str:
        return i18n.t(f"guidance.{self.type}.title", lang)

    def topic(self, lang: str = "zh") -> str:
        """What the finding is about in a few words (the metric, series, campaign or route), for headings."""
        i = 0 if lang == "zh" else 1
        for k in ("metric", "subject", "campaign"):
            if k in self.labels:
                return self.labels[k][i]
        if "route_from" in self.labels:
            return f"{self.labels['route_from'][i]}→{self.labels['route_to'][i]}"
        if "to_stage" in self.labels:
            return f"{self.labels['from_stage'][i]}→{self.labels['to_stage'][i]}"
        return ""

    def baseline(self, lang: str = "zh") -> str:
        """The rule and baseline the figures were compared with."""
        return i18n.t(f"guidance.{self.type}.rule", lang, **self._values(lang))

    def metric_id(self) -> str | None:
        """The metric id a target insight is about (its metric name looked up in the dictionary)."""
        label = self.labels.get("metric")
        if not label:
            return None
        for m in metrics.all():
            if label[1] == m.name("en") or label[0] == m.name("zh"):
                return m.id
        return None

    def row(self, lang: str = "zh") -> dict[str, Any]:
        """A flat record for tables and exports."""
        return {
            "severity": self.severity,
            "type": self.type,
            "audience": self.audience,
            "org_id": self.org_id,
            "title": self.title(lang),
            "text": self.text(lang),
            "baseline": self.baseline(lang),
            "action": self.action(lang),
            "standing": self.standing,
        }


@dataclass(frozen=True)
class Context:
    """Who asks about which node and period; `run` is the only way families read data."""

    wh: Warehouse
    scope: Scope
    org_id: str
    period: Period
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def as_of(self) -> dt.date:
        return self.period.as_of

    @property
    def window_start(self) -> dt.date:
        """Recent window for rate rules: the period, widened to at least the last three months."""
        return self.period.recent()[0]

    @staticmethod
    def _key(name: str, params: dict[str, Any]) -> tuple:
        return (name, tuple(sorted((k, str(v)) for k, v in params.items())))

    def seed(self, name: str, frame: pd.DataFrame, **params: Any) -> None:
        """Give `run(name, **params)` its answer beforehand: the stored guidance computes a query once for
        the whole tree and hands each node its own rows, which are the rows the query returns for it."""
        self.memo[self._key(name, params)] = frame

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        key = self._key(name, params)
        if key not in self.memo:
            self.memo[key] = self.wh.run(name, self.scope, params)
        return self.memo[key]


def families() -> list[Callable[[Context], list[Insight]]]:
    from cockpit.guidance import (
        campaigns,
        changes,
        contributors,
        dormant,
        funnel,
        lifecycle,
        referrals,
        targets,
    )

    return [
        targets.find,
        changes.find,
        contributors.find,
        contributors.find_concentration,
        funnel.find,
        referrals.find,
        dormant.find,
        lifecycle.find,
        campaigns.find,
    ]


def generate(wh: Warehouse, scope: Scope, org_id: str, period: Period) -> list[Insight]:
    """Every insight for the node and period, most severe first. Refuses a node outside the scope."""
    wh.check_org(scope, org_id)
    return findings(Context(wh, scope, org_id, period))


def findings(ctx: Context) -> list[Insight]:
    """Every insight of a context, most severe first (`generate` once the node is checked; the build of the
    stored guidance with contexts it has given shared answers, see cockpit/guidance/stored.py)."""
    found = [i for find in families() for i in find(ctx)]
    return sorted(found, key=Insight.sort_key)


def page(insights: list[Insight], n: int = PAGE_SIZE) -> tuple[list[Insight], int]:
    """The first n insights to show and how many more there are (said as "另有 N 项", never dropped)."""
    return insights[:n], max(0, len(insights) - n)


def table(insights: list[Insight], lang: str = "zh") -> pd.DataFrame:
    cols = ["severity", "type", "audience", "org_id", "title", "text", "baseline", "action", "standing"]
    return pd.DataFrame([i.row(lang) for i in insights], columns=cols)


__all__ = [
    "AUDIENCES",
    "Context",
    "Insight",
    "PAGE_SIZE",
    "SEVERITIES",
    "findings",
    "generate",
    "page",
    "table",
]
