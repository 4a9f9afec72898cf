"""`cockpit guidance check`: plant random stories into copies of a warehouse and measure the guidance.

For each seed: the guidance of the head office is generated on the untouched warehouse (the baseline),
one story of every kind is planted at random healthy nodes (cockpit/ops/planting.py) in a copy, the marts
are rebuilt and the guidance generated again. A story is found when an insight with its key appears.
Every insight that is new against the baseline is either at a touched node (the planted node, its
ancestors and descendants) or a false alarm. Printed per kind: recall (found / planted) and precision
(new insights of that kind at the story's node / all new insights of that kind); then the false alarms
at untouched nodes. The same warehouse and seeds print the same lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cockpit import guidance
from cockpit.core.periods import Period
from cockpit.guidance import Context, changes
from cockpit.ops import planting
from cockpit.warehouse import marts
from cockpit.warehouse.layer import Scope, Warehouse

ROOT = Scope("guidance-check", "executive", ("HO",))
STORY_KIND = {
    ("stage", "drop"): "drop",
    ("stage", "surge"): "surge",
    ("route", "drop"): "slow_route",
    ("campaign", "drop"): "campaign_collapse",
}


@dataclass
class Result:
    stories: list[planting.Story] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    new: list[tuple] = field(default_factory=list)  # (kind or '', key, touched by which story or None)
    false_alarms: list[tuple] = field(default_factory=list)


def _keys(found: list[guidance.Insight]) -> set[tuple]:
    return {i.key or (i.type, i.org_id) for i in found}


def _kind_of(key: tuple) -> str:
    if key[0] == "unusual_change":
        return STORY_KIND.get((key[2], key[4]), "")
    if key[0] == "target_risk" and key[2] == "deposits":
        return "balance_run_off"
    if key[0] in ("untouched_cohort", "concentration"):
        return str(key[0])
    return ""


def _org(key: tuple) -> str:
    """The node a finding is about (a concentration: the child carrying the result)."""
    return str(key[3] if key[0] == "concentration" else key[1])


def _generate(path: Path, period_text: str) -> tuple[set[tuple], Warehouse, Period]:
    wh = Warehouse(str(path))
    as_of = wh.run("warehouse_info", ROOT)["as_of"].iloc[0]
    period = Period.parse(period_text, as_of)
    return _keys(guidance.generate(wh, ROOT, "HO", period)), wh, period


def run(bank: Path, seeds: list[int], period_text: str | None = None) -> Result:
    """Plant one story of every kind per seed into copies of `bank` and score what the guidance finds."""
    probe = Warehouse(str(bank))
    as_of = probe.run("warehouse_info", ROOT)["as_of"].iloc[0]
    as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of)[:10])
    period_text = period_text or as_of.strftime("%Y-%m")
    base, wh, period = _generate(bank, period_text)
    scored = changes.scored(Context(wh, ROOT, "HO", period))
    probe.engine.dispose()
    wh.engine.dispose()
    out = Result()
    with tempfile.TemporaryDirectory(prefix="guidance-check-") as tmp:
        for seed in seeds:
            copy = Path(tmp) / f"planted-{seed}.duckdb"
            shutil.copyfile(bank, copy)
            con = duckdb.connect(str(copy))
            stories = planting.choose(scored, base, con, random.Random(seed), as_of)
            window = Context(wh, ROOT, "HO", period).window_start
            for story in stories:
                planting.plant(con, story, as_of, period.start, window)
            marts.build(con)
            con.close()
            keys, planted_wh, _ = _generate(copy, period_text)
            planted_wh.engine.dispose()
            out.stories += stories
            out.found += [s.key in keys for s in stories]
            for key in sorted(keys - base, key=str):
                owner = next((s for s in stories if s.key == key), None) or next(
                    (s for s in stories if _org(key) in s.touched), None
                )
                out.new.append((_kind_of(key), key, owner))
                if owner is None:
                    out.false_alarms.append(key)
            copy.unlink()
    return out


def lines(result: Result) -> list[str]:
    """The printed report: one line per kind, then the false alarms."""
    rows = [f"{'kind':<18} {'planted':>7} {'found':>5} {'recall':>7} {'new':>4} {'precision':>9}"]
    for kind in planting.KINDS:
        planted = [f for s, f in zip(result.stories, result.found) if s.kind == kind]
        new = [(k, s) for kk, k, s in result.new if kk == kind]
        right = [k for k, s in new if s is not None and s.kind == kind and _org(k) == s.org_id]
        recall = f"{sum(planted) / len(planted):.0%}" if planted else "—"
        precision = f"{len(right) / len(new):.0%}" if new else "—"
        rows.append(
            f"{kind:<18} {len(planted):>7} {sum(planted):>5} {recall:>7} {len(new):>4} {precision:>9}"
        )
    for s, f in zip(result.stories, result.found):
        rows.append(
            f"  {'found ' if f else 'MISSED'} {s.kind:<18} {s.org_id:<8} {s.week or '-':<10} size {s.size}"
        )
    rows.append(f"false alarms at untouched nodes: {len(result.false_alarms)}")
    rows += [f"  {k}" for k in result.false_alarms]
    return rows


def cmd_check(args: argparse.Namespace) -> int:
    from cockpit.core import config
    from cockpit.ops.exits import fail

    target = Path(args.db or config.warehouse_target(None))
    if not target.exists() or "://" in str(args.db or ""):
        return fail(f"`cockpit guidance check` needs a DuckDB warehouse file; {target} is none")
    if args.trials < 1:
        return fail("--trials must be at least 1")
    result = run(target, [args.seed + i for i in range(args.trials)], args.period)
    print("\n".join(lines(result)))
    return 0 if all(result.found) and not result.false_alarms else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("guidance", help="guidance tools: `check` plants stories and measures what is found")
    g.add_argument("action", choices=["check"])
    g.add_argument("--seed", type=int, default=1, help="first random seed (default 1)")
    g.add_argument("--trials", type=int, default=3, help="copies planted, one seed each (default 3)")
    g.add_argument("--period", help="period to read, e.g. 2026-11 (default: the as-of month)")
    g.set_defaults(func=cmd_check)
