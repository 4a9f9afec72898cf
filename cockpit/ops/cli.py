"""The `cockpit` command line: seed, run, query, users.

Errors are printed as one clear line on stderr with a non-zero exit (2 for wrong input,
3 for a refused scope), never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from cockpit.core import config
from cockpit.ops.exits import EXIT_SCOPE
from cockpit.ops.exits import fail as _fail


def _progress_bar(total: float = 1.0):
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", file=sys.stderr, dynamic_ncols=True, bar_format="{bar}| {n:.0f}%  {desc}")

    def update(msg: str, frac: float) -> None:
        bar.set_description_str(msg[:40])
        bar.n = round(frac * 100)
        bar.refresh()
        if frac >= 1:
            bar.close()

    return update


def cmd_seed(args: argparse.Namespace) -> int:
    from cockpit.state import auth
    from seed.demo import bank as demo_bank

    target = config.warehouse_target(args.db)
    if "://" in target:
        return _fail(
            "`cockpit seed` builds a DuckDB file; give --db a file path (load other engines with "
            "`cockpit export`)."
        )
    try:
        stats = demo_bank.build(target, args.size, args.seed, progress=_progress_bar())
    except ValueError as e:
        return _fail(str(e))
    made = auth.ensure_demo_users()
    print(f"demo bank '{args.size}' (seed {args.seed}) written to {target}")
    print(
        f"  {stats['events']:,} events, {stats['customers']:,} customers, {stats['orgs']:,} org nodes, "
        f"{stats['referrals']:,} referrals in {stats['seconds']:.1f} s = "
        f"{stats['events_per_second']:,.0f} events/s"
    )
    print(
        f"  generated in {stats['generate_seconds']:.1f} s = "
        f"{stats['generate_events_per_second']:,.0f} events/s; "
        f"marts built in {stats['mart_seconds']:.1f} s"
    )
    if args.store:
        for line in build_stored(target):
            print(f"  {line}")
    else:
        print("  pages compute the metric values, scorecard and guidance until `cockpit build` stores them")
    if made:
        print(f"  demo users created: {', '.join(made)} (password: <username>-demo)")
    return 0


def _warehouse_is_demo(target: str) -> bool:
    from cockpit.warehouse.layer import open_warehouse

    try:
        info = open_warehouse(target).sql("select source from warehouse_info")
        return not info.empty and info["source"].iloc[0] == "demo"
    except Exception:
        return False


def cmd_run(args: argparse.Namespace) -> int:
    target = config.warehouse_target(args.db)
    if "://" not in target and not Path(target).exists():
        print(f"no warehouse at {target}: building the '{args.size}' demo bank first")
        # a first start stays quick: the demo bank's pages compute what `cockpit build` would store
        rc = cmd_seed(argparse.Namespace(db=args.db, size=args.size, seed=42, store=False))
        if rc:
            return rc
    env = dict(os.environ, COCKPIT_WAREHOUSE=target)
    if not env.get("COCKPIT_COOKIE_KEY") and _warehouse_is_demo(target):
        env["COCKPIT_DEMO"] = "1"
        from cockpit.state import auth

        auth.ensure_demo_users()
        print("running as a demo: demo users are listed in the README (e.g. exec / exec-demo)")
    from cockpit.app import server

    print(f"Beidou Cockpit on http://{args.address}:{args.port}", flush=True)
    # The server replaces this process (same pid, no waiting parent holding memory): stopping `cockpit run`
    # stops the server and frees the port.
    cmd = server.command(args.port, args.address)
    os.chdir(server.APP.parent)
    os.execve(cmd[0], cmd, env)


def _parse_params(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--param {item!r} must look like key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v
    return out


def _run_named(wh, name: str, scope, params: dict[str, str]):
    """A named query as asked on the command line; one with settings (the scorecard) is run by the module
    owning them, so the command line shows the scorecard page's figures and cannot re-weight them."""
    from cockpit.domain import scorecard
    from cockpit.warehouse import queries

    if name == scorecard.QUERY:
        return scorecard.scores_for_query(wh, scope, params)
    if queries.get(name).settings:
        raise queries.QueryError(f"query '{name}' is run by the page that owns its settings, not by name")
    return wh.run(name, scope, params)


def cmd_query(args: argparse.Namespace) -> int:
    from cockpit.state import auth
    from cockpit.warehouse import queries
    from cockpit.warehouse.layer import ScopeError, UnknownOrgError, WarehouseError, open_warehouse

    if args.list or not args.name:
        for q in queries.catalogue().values():
            declared = " ".join(f"{p.name}:{p.type}" for p in q.params)
            print(f"{q.name:32} {q.description}" + (f"  [{declared}]" if declared else ""))
        return 0
    try:
        queries.get(args.name)
        user = auth.get_user(args.as_user)
        params = _parse_params(args.param)
        target = config.warehouse_target(args.db)
        if args.engine == "spark":
            import tempfile

            from cockpit.warehouse import spark

            with tempfile.TemporaryDirectory(prefix="cockpit-spark-") as tmp:
                df = _run_named(spark.open_local(target, tmp), args.name, user.scope, params)
        else:
            df = _run_named(open_warehouse(target), args.name, user.scope, params)
    except UnknownOrgError as e:
        return _fail(str(e))
    except ScopeError as e:
        return _fail(str(e), EXIT_SCOPE)
    except (queries.QueryError, auth.UserError, WarehouseError, ValueError) as e:
        return _fail(str(e))
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(df.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        print(df.to_string(index=False) if not df.empty else "(no rows)")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """Each change is audited by cockpit.state.auth (as "cli"), one place for the command line and pages."""
    from cockpit.state import auth

    try:
        if args.action == "list":
            for u in auth.list_users():
                lock = "  LOCKED" if u.locked() else ""
                print(f"{u.username:16} {u.role:12} {','.join(u.org_ids):20} {u.name}{lock}")
            return 0
        if not args.username:
            return _fail(f"`cockpit users {args.action}` needs a username")
        if args.action == "remove":
            auth.remove_user(args.username)
            print(f"removed {args.username}")
            return 0
        if args.action in ("lock", "unlock"):
            (auth.lock_user if args.action == "lock" else auth.unlock_user)(args.username)
            print(f"{args.action}ed {args.username}")
            return 0
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
        if args.action == "add":
            u = auth.add_user(args.username, args.name or args.username, args.role, args.org, password)
            print(f"added {u.username} ({u.role}, {','.join(u.org_ids)})")
        else:
            auth.set_password(args.username, password)
            print(f"password set for {args.username}")
    except auth.UserError as e:
        return _fail(str(e))
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    from cockpit.state import transfer

    try:
        counts = transfer.copy_state(args.to)
    except transfer.CopyError as e:
        return _fail(str(e))
    for table, n in counts.items():
        print(f"{table:24} {n:>9}")
    print(f"copied {sum(counts.values())} rows into {args.to.split('@')[-1]}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from cockpit.core import i18n
    from seed.ingest import importer

    target = config.warehouse_target(args.db)
    try:
        large = Path(args.file).is_file() and Path(args.file).stat().st_size > 1_000_000
        result = importer.import_file(
            args.file,
            args.mapping,
            target,
            progress=_progress_bar() if large else None,
            rules={"year_rule": args.year_rule} if args.year_rule else None,
        )
    except importer.ImportRejected as e:
        if args.report:
            e.report().to_csv(args.report, index=False)
        return _fail(f"import refused, nothing changed: {e}")
    except (ValueError, OSError) as e:
        return _fail(str(e))
    print(
        f"{args.file} imported into {target} as {result.source}"
        if result.changed
        else f"{args.file} was already imported: nothing changed in {target}"
    )
    for key, values in result.notes:
        print(f"  {i18n.t(key, 'en', **values)}")
    print("  rows per table: " + ", ".join(f"{t} {n:,}" for t, n in result.rows.items()))
    if result.changed:
        print(
            "  pages compute the metric values, scorecard and guidance from the marts until "
            "`cockpit build` stores them"
        )
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from cockpit.ops import targets_io
    from cockpit.state import auth
    from cockpit.warehouse.layer import WarehouseError

    try:
        print(
            targets_io.command(
                args.action,
                args.file,
                config.warehouse_target(args.db),
                args.as_user,
                args.period_type,
                args.year,
            )
        )
    except (
        targets_io.TargetImportError,
        targets_io.WarehouseNotWritable,
        auth.UserError,
        WarehouseError,
    ) as e:
        return _fail(str(e))
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    from cockpit.delivery import send as delivery
    from cockpit.warehouse.layer import WarehouseError, open_warehouse

    try:
        rows = delivery.deliver(
            now=args.now, dry_run=args.dry_run, wh=open_warehouse(config.warehouse_target(args.db))
        )
    except WarehouseError as e:
        return _fail(str(e))
    for r in rows:
        print(
            f"{r['status']:8} #{r['subscription_id']} {r['org_id'] or '-':12} -> {r['address']} "
            f"({r['username']})"
            f"{' ' + r['files'] if r['files'] else ''}"
            f"{' attempts ' + str(r['attempts']) if r['attempts'] > 1 else ''}"
            f"{': ' + r['detail'] if r['status'] in ('failed', 'skipped') else ''}"
        )
    print(
        f"{len(rows)} deliveries: "
        + ", ".join(
            f"{s} {sum(r['status'] == s for r in rows)}" for s in ("sent", "failed", "skipped", "dry_run")
        )
    )
    return 1 if any(r["status"] == "failed" for r in rows) else 0


def build_stored(target: str, day: dt.date | None = None) -> list[str]:
    """`cockpit build`'s steps after the marts, which compute through the named queries and the bank's rules:
    the metric values, the scorecard points, the prepared answers and the guidance (the guidance last: it
    reads the others). Returns each step's summary line."""
    from cockpit.domain import scorecard_store
    from cockpit.guidance import stored
    from cockpit.warehouse import metric_store, prepared_store

    return [
        metric_store.build(target),
        scorecard_store.build(target, day),
        prepared_store.build(target),
        stored.build(target),
    ]


def cmd_build(args: argparse.Namespace) -> int:
    from cockpit.warehouse import marts

    target = config.warehouse_target(args.db)
    try:
        print(marts.build_command(target, args.day))
    except (marts.MartError, ValueError) as e:
        return _fail(str(e))
    for line in build_stored(target, dt.date.fromisoformat(args.day) if args.day else None):
        print(line)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from cockpit.ops import bench

    return bench.main(args.size, args.sessions, args.browser_loads)


def cmd_export(args: argparse.Namespace) -> int:
    from cockpit.warehouse import export

    try:
        print(export.export_command(config.warehouse_target(args.db), args.to))
    except (export.ExportError, ValueError) as e:
        return _fail(str(e))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cockpit", description="Beidou Cockpit: the bank's customer-operations cockpit."
    )
    p.add_argument(
        "--db",
        help="warehouse: DuckDB file or SQLAlchemy URL (default $COCKPIT_WAREHOUSE or "
        "$COCKPIT_HOME/warehouse.duckdb)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("seed", help="build the demo bank")
    s.add_argument("--size", default="xs", choices=["xs", "s", "m", "l"])
    s.add_argument("--seed", type=int, default=42)
    s.add_argument(
        "--no-store",
        dest="store",
        action="store_false",
        help="leave the metric values, scorecard and guidance to `cockpit build` (pages compute them)",
    )
    s.set_defaults(func=cmd_seed)

    b = sub.add_parser("build", help="build the marts (all, or one new day with --day) in a DuckDB warehouse")
    b.add_argument("--day", help="YYYY-MM-DD: refresh only this day's rows and the periods holding it")
    b.set_defaults(func=cmd_build)
    be = sub.add_parser(
        "bench", help="time every page on a demo bank: marts vs raw events vs pandas; prints a table"
    )
    be.add_argument("--size", default="xs", choices=["xs", "s", "m", "l"])
    be.add_argument(
        "--sessions",
        type=int,
        default=50,
        help="simultaneous browser sessions against one server for p50/p95 page times (0: none)",
    )
    be.add_argument(
        "--browser-loads",
        type=int,
        default=3,
        help="warm loads of every page in Chromium, of which the median is printed (0: none)",
    )
    be.set_defaults(func=cmd_bench)
    ex = sub.add_parser("export", help="copy the warehouse tables and marts from DuckDB into another engine")
    ex.add_argument(
        "--to", required=True, help="SQLAlchemy URL, e.g. postgresql+psycopg://app@127.0.0.1:5432/cockpit"
    )
    ex.set_defaults(func=cmd_export)

    r = sub.add_parser(
        "run", help="start the cockpit on 127.0.0.1 (building the demo bank if there is no warehouse)"
    )
    r.add_argument("--port", type=int, default=8501)
    r.add_argument(
        "--address",
        default="127.0.0.1",
        help="the address to serve on: 127.0.0.1, or one a reverse proxy on another machine reaches",
    )
    r.add_argument(
        "--size",
        default="s",
        choices=["xs", "s", "m", "l"],
        help="demo bank to build when there is no warehouse (default s: ~1M events, about 15 s; "
        "its storylines stand out, where xs is too sparse to show them)",
    )
    r.set_defaults(func=cmd_run)

    q = sub.add_parser("query", help="run a named query with a user's scope")
    q.add_argument("name", nargs="?")
    q.add_argument("--list", action="store_true", help="list the named queries")
    q.add_argument("--as", dest="as_user", default="exec", help="username whose scope applies (default exec)")
    q.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument(
        "--engine",
        choices=["warehouse", "spark"],
        default="warehouse",
        help="spark: run it in a local Spark session on a copy of the DuckDB warehouse, marts "
        "built there (needs Java)",
    )
    q.set_defaults(func=cmd_query)

    i = sub.add_parser(
        "import", help="validate a CSV / Parquet / Excel file through a mapping and load it, all or nothing"
    )
    i.add_argument("file")
    i.add_argument(
        "--mapping",
        required=True,
        help="mapping name in seed/ingest/mappings/ (e.g. uci_bank_marketing) or a path",
    )
    i.add_argument("--report", metavar="CSV", help="write every problem found to this CSV file")
    i.add_argument(
        "--year-rule",
        choices=["ordered", "latest", "context"],
        help="UCI files without a year: ordered (rows in date order, the default of uci_bank_marketing), "
        "latest (each month in the latest year of the span: a shuffled sample such as bank.csv), context "
        "(bank-additional's economic columns)",
    )
    i.set_defaults(func=cmd_import)

    t = sub.add_parser(
        "targets", help="export targets to Excel, or import them from Excel (validated, all or nothing)"
    )
    t.add_argument("action", choices=["export", "import"])
    t.add_argument(
        "file", help=".xlsx file with columns org_id, metric, period_type, period_start, target_value"
    )
    t.add_argument(
        "--as",
        dest="as_user",
        default="admin",
        help="username whose scope applies; imports need an admin (default admin)",
    )
    t.add_argument(
        "--period-type",
        default="all",
        choices=["all", "month", "quarter", "year"],
        help="export: only this period type",
    )
    t.add_argument("--year", type=int, default=0, help="export: only this year")
    t.set_defaults(func=cmd_targets)

    d = sub.add_parser(
        "deliver", help="send the subscribed reports and digests that are due (for cron or a systemd timer)"
    )
    d.add_argument("--now", action="store_true", help="send every active subscription now, due or not")
    d.add_argument("--dry-run", action="store_true", help="render and log, send nothing")
    d.set_defaults(func=cmd_deliver)

    u = sub.add_parser(
        "users", help="manage users: list, add, set-password, remove, lock, unlock (each ends open sessions)"
    )
    u.add_argument("action", choices=["list", "add", "set-password", "remove", "lock", "unlock"])
    u.add_argument("username", nargs="?")
    u.add_argument("--name")
    u.add_argument("--role", default="manager")
    u.add_argument("--org", action="append", default=[], help="org node (repeat for several)")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.set_defaults(func=cmd_users)

    st = sub.add_parser(
        "state", help="the app's own state: copy it into an empty database (SQLite to PostgreSQL)"
    )
    st.add_argument("action", choices=["copy"])
    st.add_argument(
        "--to", required=True, help="the target, e.g. postgresql+psycopg://cockpit@db/cockpit_state"
    )
    st.set_defaults(func=cmd_state)
    __import__("cockpit.ops.report_cli", fromlist=["add_parser"]).add_parser(sub)
    __import__("cockpit.ops.guidance_check", fromlist=["add_parser"]).add_parser(sub)
    # `cockpit seed --db x.duckdb` as well as `cockpit --db x.duckdb seed`: the subcommand's value wins.
    for sp in sub.choices.values():
        sp.add_argument(
            "--db",
            default=argparse.SUPPRESS,
            help="warehouse: DuckDB file or SQLAlchemy URL (as the global --db)",
        )
    return p


def main(argv: list[str] | None = None) -> int:
    config.private_files()
    args = build_parser().parse_args(argv)
    if getattr(args, "db", None) is None:
        args.db = None
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
