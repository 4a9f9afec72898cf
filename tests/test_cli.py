"""`cockpit` on the command line: clear refusals, non-zero exits, no leaks through parameters."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

INJECTIONS = [
    "R01' OR '1'='1",
    "R01; drop table events; --",
    "HO/**/union/**/select",
    "' or 1=1 --",
    "R02%",
    "*",
]


def cockpit(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cockpit.ops.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture(scope="module", autouse=True)
def _bank(bank):
    return bank


def test_query_list_names_every_query():
    from cockpit.warehouse import queries

    out = cockpit("query", "--list")
    assert out.returncode == 0
    for name in queries.catalogue():
        assert name in out.stdout


def test_unknown_query_is_refused():
    out = cockpit("query", "no_such_query", "--as", "exec")
    assert (
        out.returncode == 2
        and "unknown query 'no_such_query'" in out.stderr
        and "Traceback" not in out.stderr
    )


def test_unknown_parameter_is_refused():
    out = cockpit("query", "org_tree", "--as", "exec", "--param", "colour=red")
    assert out.returncode == 2 and "has no parameter 'colour'" in out.stderr


def test_unknown_user_is_refused():
    out = cockpit("query", "org_tree", "--as", "mallory")
    assert out.returncode == 2 and "no such user or not allowed: 'mallory'" in out.stderr


def test_branch_head_is_refused_another_branch(attacks):
    attacks.append("cli query --param")
    out = cockpit(
        "query",
        "overview_kpis",
        "--as",
        "head_r02",
        "--param",
        "org_id=R01",
        "--param",
        "start=2026-10-01",
        "--param",
        "end=2026-10-31",
        "--param",
        "prev_start=2026-09-01",
        "--param",
        "prev_end=2026-09-30",
    )
    assert out.returncode == 3 and "outside your scope" in out.stderr and out.stdout == ""


def test_a_report_of_a_node_that_does_not_exist_is_wrong_input_for_the_executive(tmp_path):
    out = cockpit("report", "--org", "R99", "--period", "2026-10", "--out", str(tmp_path))
    assert out.returncode == 2 and "Org 'R99' does not exist in this warehouse." in out.stderr
    out = cockpit("report", "--org", "R99", "--period", "2026-10", "--out", str(tmp_path), "--as", "head_r02")
    assert out.returncode == 3 and "outside your scope" in out.stderr and not list(tmp_path.iterdir())


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_change_nothing_and_leak_nothing(attacks, evil):
    attacks.append("sql injection")
    out = cockpit(
        "query",
        "overview_kpis",
        "--as",
        "head_r02",
        "--param",
        f"org_id={evil}",
        "--param",
        "start=2026-10-01",
        "--param",
        "end=2026-10-31",
        "--param",
        "prev_start=2026-09-01",
        "--param",
        "prev_end=2026-09-30",
    )
    assert out.returncode in (2, 3) and out.stdout == ""
    out = cockpit("query", "org_tree", "--as", "head_r02", "--format", "json")
    rows = json.loads(out.stdout)
    assert rows and all(r["org_id"].startswith("R02") for r in rows)


def test_scoped_output_holds_only_the_users_subtree():
    out = cockpit("query", "org_tree", "--as", "head_r01b02", "--format", "csv")
    lines = out.stdout.strip().splitlines()[1:]
    assert lines and all(line.startswith("R01B02") for line in lines)


def test_user_changes_exit_0_and_each_is_in_the_audit_log():
    from cockpit.state import appstate

    add = cockpit(
        "users",
        "add",
        "cli_bob",
        "--role",
        "executive",
        "--org",
        "HO",
        "--password-stdin",
        stdin="pw-bob-1\n",
    )
    assert add.returncode == 0, add.stderr
    reset = cockpit("users", "set-password", "cli_bob", "--password-stdin", stdin="pw-bob-2\n")
    assert reset.returncode == 0, reset.stderr
    gone = cockpit("users", "remove", "cli_bob")
    assert gone.returncode == 0, gone.stderr
    mine = [e for e in appstate.audit_entries(50) if json.loads(e["detail"]).get("user") == "cli_bob"]
    assert [e["action"] for e in mine] == ["user_removed", "password_set", "user_added"]


def test_db_is_accepted_after_every_subcommand(tmp_path, capsys):
    from cockpit.ops import cli as cockpit_cli

    parser = cockpit_cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        with pytest.raises(SystemExit) as done:
            parser.parse_args([name, "--db", str(tmp_path / "x.duckdb"), "--help"])
        assert done.value.code == 0, name
        assert "--db" in capsys.readouterr().out, name
    args = parser.parse_args(["seed", "--db", "after.duckdb"])
    assert args.db == "after.duckdb"
    assert parser.parse_args(["--db", "before.duckdb", "build"]).db == "before.duckdb"


def test_cockpit_run_becomes_the_server_so_stopping_it_frees_the_port():
    """`cockpit run` execs the server (cockpit/app/serve.py, which runs Streamlit in the same process): the
    pid it was started as serves the app (on the address it was given) with no child of its own, and a TERM to
    it leaves no server behind holding the port."""
    import signal
    import socket
    import time
    import urllib.request

    from cockpit.app import server

    port = server.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit.ops.cli", "run", "--port", str(port), "--address", "127.0.0.2"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, up = time.monotonic() + 90, False
        while time.monotonic() < deadline and proc.poll() is None and not up:
            try:
                up = (
                    urllib.request.urlopen(f"http://127.0.0.2:{port}/_stcore/health", timeout=1).read()
                    == b"ok"
                )
            except OSError:
                time.sleep(0.5)
        assert up, "the server did not answer"
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"cockpit.app.serve" in cmdline
        children = [
            c for t in Path(f"/proc/{proc.pid}/task").iterdir() for c in (t / "children").read_text().split()
        ]
        assert children == [], "the server runs in a child process that a TERM to cockpit run would orphan"
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # only the address it was given
            s.connect(("127.0.0.1", port))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.2", port))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_demo_bank_is_seeded_with_the_figures_the_build_stores(tmp_path, capsys, monkeypatch):
    """`cockpit seed` ends like `cockpit build`: the metric values, scorecard points and guidance are stored,
    so the first visit to the demo bank reads them instead of computing, and the output says so."""
    import duckdb

    from cockpit.ops import cli as cockpit_cli

    monkeypatch.setenv("COCKPIT_HOME", str(tmp_path))
    target = tmp_path / "seeded.duckdb"
    assert cockpit_cli.main(["seed", "--size", "xs", "--db", str(target)]) == 0
    out = capsys.readouterr().out
    for said in ("metric values stored", "scorecard stored", "guidance stored"):
        assert said in out, out
    con = duckdb.connect(str(target), read_only=True)
    try:
        for table in ("mart_metric_values", "mart_scorecard", "mart_guidance", "mart_insights"):
            assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
    finally:
        con.close()


def test_a_seed_without_the_stored_figures_leaves_them_to_the_build_and_says_so(
    tmp_path, capsys, monkeypatch
):
    """`cockpit run`'s first start seeds this way (a quick start); the pages then compute those figures."""
    import duckdb

    from cockpit.ops import cli as cockpit_cli

    monkeypatch.setenv("COCKPIT_HOME", str(tmp_path))
    target = tmp_path / "quick.duckdb"
    assert cockpit_cli.main(["seed", "--size", "xs", "--no-store", "--db", str(target)]) == 0
    out = capsys.readouterr().out
    assert "until `cockpit build` stores them" in out and "guidance stored" not in out
    con = duckdb.connect(str(target), read_only=True)
    try:
        assert con.execute("select count(*) from mart_sicas_funnel").fetchone()[0] > 0  # the marts are built
        for table in ("mart_metric_values", "mart_scorecard", "mart_guidance"):
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
    finally:
        con.close()
