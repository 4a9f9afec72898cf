"""Reports for one node or for every node the caller may see (levels 0-3), each holding only its
own node's data, written to a folder, in parallel processes, each logged in the audit log."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from cockpit.core.periods import Period
from cockpit.reports import data, excel, pdf
from cockpit.state import appstate
from cockpit.warehouse.layer import Scope, Warehouse, open_warehouse

FORMATS = ("pdf", "xlsx")
MAX_LEVEL = 3


def render(r: data.ReportData, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return pdf.build(r) if fmt == "pdf" else excel.build(r)


def file_name(org_id: str, period: Period, fmt: str) -> str:
    return f"report_{org_id}_{period.label}.{fmt}"


def one(
    wh: Warehouse, scope: Scope, org_id: str, period: Period, fmt: str, out: Path, lang: str = "zh"
) -> Path:
    """Write one report (refused with ScopeError outside the scope) and record it in the audit log."""
    r = data.collect(wh, scope, org_id, period, lang)
    path = Path(out) / file_name(org_id, period, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(r, fmt))
    appstate.audit(
        scope.username, "report_generated", org_id=org_id, period=period.label, format=fmt, file=path.name
    )
    return path


def nodes(wh: Warehouse, scope: Scope) -> list[str]:
    """Every node of levels 0-3 the caller may see."""
    tree = wh.run("org_tree", scope)
    return list(tree[tree.level <= MAX_LEVEL].org_id)


def _worker(target: str, scope: Scope, org_id: str, label: str, as_of, fmt: str, out: str, lang: str) -> str:
    return str(one(open_warehouse(target), scope, org_id, Period.parse(label, as_of), fmt, Path(out), lang))


def many(
    target: str,
    scope: Scope,
    org_ids: Iterable[str],
    period: Period,
    fmt: str,
    out: Path,
    lang: str = "zh",
    workers: int | None = None,
    tick: Callable[[str], None] | None = None,
) -> list[Path]:
    """Reports for many nodes in worker processes; `tick(org_id)` after each one."""
    ids = list(org_ids)
    workers = workers or min(len(ids), os.cpu_count() or 1, 8)
    if workers <= 1:
        wh = open_warehouse(target)
        paths = []
        for o in ids:
            paths.append(one(wh, scope, o, period, fmt, out, lang))
            if tick:
                tick(o)
        return paths
    paths = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = {
            pool.submit(_worker, target, scope, o, period.label, period.as_of, fmt, str(out), lang): o
            for o in ids
        }
        for fut in as_completed(futs):
            paths.append(Path(fut.result()))
            if tick:
                tick(futs[fut])
    return sorted(paths)
