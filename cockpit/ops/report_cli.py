"""`cockpit report`: the report of one node, or `--all` for every node the caller may see (levels 0-3).

Exit codes as the rest of the command line: 2 for wrong input, 3 for a node outside the caller's scope.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cockpit.core import config, i18n
    from cockpit.core.periods import Period
    from cockpit.ops.exits import EXIT_SCOPE
    from cockpit.ops.exits import fail as _fail
    from cockpit.reports import batch
    from cockpit.reports.pdf import FontMissing
    from cockpit.state import auth
    from cockpit.warehouse.layer import ScopeError, UnknownOrgError, WarehouseError, open_warehouse

    if not args.all and not args.org:
        return _fail("`cockpit report` needs --org ID or --all")
    if args.lang not in i18n.LANGS:
        return _fail(f"--lang must be one of {', '.join(i18n.LANGS)}")
    try:
        user = auth.get_user(args.as_user)
        target = config.warehouse_target(args.db)
        wh = open_warehouse(target)
        as_of = wh.run("warehouse_info", user.scope)["as_of"].iloc[0]
        period = Period.parse(args.period, as_of)
        out = Path(args.out)
        if not args.all:
            path = batch.one(wh, user.scope, args.org, period, args.format, out, args.lang)
            print(path)
            return 0
        ids = batch.nodes(wh, user.scope)
        bar = tqdm(total=len(ids), unit="report", file=sys.stderr, desc="reports")
        paths = batch.many(
            target,
            user.scope,
            ids,
            period,
            args.format,
            out,
            args.lang,
            args.workers,
            tick=lambda _o: bar.update(1),
        )
        bar.close()
        print(f"{len(paths)} reports written to {out}")
        return 0
    except UnknownOrgError as e:
        return _fail(str(e))
    except ScopeError as e:
        return _fail(str(e), EXIT_SCOPE)
    except (auth.UserError, WarehouseError, ValueError, FontMissing, OSError) as e:
        return _fail(str(e))


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "report",
        help="write the PDF or Excel report of an org node and period (--all: every node you may see)",
    )
    r.add_argument("--org", help="org node id")
    r.add_argument(
        "--all",
        action="store_true",
        help="every node of levels 0-3 in your scope, each with only its own data",
    )
    r.add_argument("--period", required=True, help="2026-11, 2026Q4 or 2026")
    r.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
    r.add_argument("--out", default=".", help="folder to write into")
    r.add_argument("--as", dest="as_user", default="exec", help="username whose scope applies (default exec)")
    r.add_argument("--lang", default="zh", help="zh or en")
    r.add_argument(
        "--workers", type=int, default=None, help="parallel processes for --all (default: CPUs, at most 8)"
    )
    r.set_defaults(func=cmd_report)
