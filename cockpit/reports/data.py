"""The figures of one report, gathered once so the PDF and the workbook hold the same numbers.

Everything is read through the requesting user's scope: the KPI table from the targets math
(metric_values + target_values), the scorecard ranking of the node and its children (scorecard_scores), the
SICAS funnel (sicas_funnel), the
referral matrix (report_referral_matrix), the guidance and the action list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cockpit import guidance
from cockpit.core.periods import Period
from cockpit.display import names as display_names
from cockpit.display import statuses
from cockpit.domain import metrics, scorecard
from cockpit.guidance import Context, actions, stored
from cockpit.guidance.targets import target_table
from cockpit.state import auth
from cockpit.warehouse.layer import Scope, Warehouse


@dataclass
class ReportData:
    org_id: str
    org_name: str
    period: Period
    lang: str
    username: str
    kpis: pd.DataFrame  # the node's metrics against target, with status
    ranking: pd.DataFrame  # scorecard: the node (rank among its siblings) and its children; peers left out
    funnel: pd.DataFrame
    referrals: pd.DataFrame
    insights: pd.DataFrame
    actions: pd.DataFrame
    generated: dt.datetime
    names: display_names.Names = field(default_factory=lambda: display_names.Names({}, {}, {}, {}))
    user_name: str = ""  # the generating user's display name in the report's language


def _display_name(username: str) -> str:
    """The user's display name, their username when they are not a known user (a batch run)."""
    try:
        return auth.get_user(username).name
    except auth.UserError:
        return username


def collect(
    wh: Warehouse, scope: Scope, org_id: str, period: Period, lang: str = "zh", user_name: str = ""
) -> ReportData:
    """All figures of the report of `org_id` for `period`; refuses a node outside the scope. `user_name`:
    the display name of the user it is made for (their username when not given)."""
    wh.check_org(scope, org_id)
    ctx = Context(wh, scope, org_id, period)
    table, progress = target_table(ctx)
    tree = ctx.run("org_tree").set_index("org_id")
    name = tree.loc[org_id, "name_zh" if lang == "zh" else "name_en"]
    kpis = table[table.org_id == org_id].reset_index(drop=True)
    kpis.insert(2, "metric_name", [metrics.get(m).name(lang) for m in kpis.metric])
    kpis["why"] = statuses.reasons(kpis, progress.ratio, lang)  # every red or amber status says why
    kpis.attrs["time_progress"] = progress.ratio
    scores = scorecard.scores(
        wh, scope, org_id, period, progress
    )  # with the action follow-through, as on the page
    ranking = scorecard.ranking(scores)
    ranking = ranking[ranking.relation.isin(["self", "child"])].reset_index(drop=True)
    funnel = ctx.run("sicas_funnel", org_id=org_id, start=period.start, end=period.to_date)
    referrals = ctx.run(
        "referral_matrix", org_id=org_id, start=period.start, end=period.to_date, level="group"
    )
    found, _ = stored.guidance(wh, scope, org_id, period)  # the stored rows when the build holds them
    reader = display_names.from_frames(ctx.run("org_tree"), ctx.run("channels"), lang)
    return ReportData(
        org_id,
        name,
        period,
        lang,
        scope.username,
        kpis,
        ranking,
        funnel,
        referrals,
        guidance.table(found, lang),
        actions.action_list(ctx, lang),
        dt.datetime.now(),
        reader,
        display_names.person(user_name or _display_name(scope.username), lang),
    )
