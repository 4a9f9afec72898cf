"""Deliveries to a real SMTP server and a WeCom-style webhook on 127.0.0.1: the right files reach the right
recipients, nobody receives another
branch's data whoever created the subscription, failures are retried and logged."""

import email
import io
import json
import re
import socket
import subprocess
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from cockpit.delivery import send as delivery
from cockpit.delivery import subscriptions as subs
from cockpit.state import auth
from cockpit.warehouse.layer import ScopeError


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch, bank):
    sink = Sink()
    ctl = Controller(sink, hostname="127.0.0.1", port=free_port())
    ctl.start()
    monkeypatch.setenv("COCKPIT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COCKPIT_SMTP_PORT", str(ctl.port))
    monkeypatch.setenv("COCKPIT_DELIVERY_BACKOFF", "0.5")
    yield sink
    ctl.stop()


class Robot(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers["Content-Type"], body))
        if self.server.fail_first > 0:
            self.server.fail_first -= 1
            self.send_response(500)
            self.end_headers()
            return
        answer = {"errcode": 0, "errmsg": "ok"}
        if "/upload_media" in self.path:
            answer["media_id"] = f"media{len(self.server.requests)}"
        out = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    server.requests, server.fail_first = [], 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test-key"
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def only_new_subscriptions(bank):
    """Each test delivers only the subscriptions it creates."""
    with subs.connect() as con:
        con.execute(text("update subscriptions set active = 0"))


@pytest.fixture
def pauses():
    return []


def run(wh, pauses, **kw):
    return delivery.deliver(now=True, wh=wh, sleep=pauses.append, **kw)


def org_ids_in_workbook(blob: bytes) -> set[str]:
    found = set()
    for df in pd.read_excel(io.BytesIO(blob), sheet_name=None, header=None).values():
        for v in df.values.ravel():
            found |= set(re.findall(r"\bR\d\d(?:B\d\d)?(?:T\d)?(?:M\d)?\b", str(v)))
    return found


def attachments(msg) -> dict[str, bytes]:
    return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}


def test_each_recipient_gets_only_their_scope_even_from_an_executive_subscription(wh, smtp, pauses):
    boss = auth.get_user("exec")
    r01 = subs.create(
        wh,
        boss,
        "R01",
        "xlsx",
        "weekly",
        [("head.r01@bank.local", "head_r01"), ("head.r02@bank.local", "head_r02")],
    )
    whole = subs.create(wh, boss, "HO", "xlsx", "monthly", [("head.r02@bank.local", "head_r02")])
    log = run(wh, pauses)
    by_to = {}
    for m in smtp.messages:
        by_to.setdefault(m["To"], []).append(m)
    assert set(by_to) == {"head.r01@bank.local", "head.r02@bank.local"}
    (m1,) = by_to["head.r01@bank.local"]
    (m2,) = by_to["head.r02@bank.local"]
    f1, f2 = attachments(m1), attachments(m2)
    assert [n.split("_")[1] for n in f1] == ["R01"] and [n.split("_")[1] for n in f2] == ["R02"]
    seen1, seen2 = org_ids_in_workbook(next(iter(f1.values()))), org_ids_in_workbook(next(iter(f2.values())))
    assert seen1 and all(o.startswith("R01") for o in seen1)
    assert seen2 and all(o.startswith("R02") for o in seen2)
    skipped = [r for r in log if r["status"] == "skipped"]
    assert [(r["subscription_id"], r["username"]) for r in skipped] == [(r01.id, "head_r02")]
    assert "R01 is outside the recipient's scope" in skipped[0]["detail"]
    sent = {(r["subscription_id"], r["username"], r["org_id"]) for r in log if r["status"] == "sent"}
    assert sent == {(r01.id, "head_r01", "R01"), (whole.id, "head_r02", "R02")}
    assert pauses == []


def test_webhook_gets_markdown_then_the_uploaded_file_and_a_digest(wh, robot, pauses, tmp_path):
    head = auth.get_user("head_r02")
    with pytest.raises(
        subs.SubscriptionError, match="no such user or not allowed"
    ):  # outside head_r02's scope
        subs.create(wh, head, "R02", "pdf", "daily", [(robot.url, "head_r02"), (robot.url, "manager1")])
    rep = subs.create(wh, head, "R02", "pdf", "daily", [(robot.url, "head_r02")], lang="en")
    digest = subs.create(wh, head, "R02", "digest", "daily", [(robot.url, "head_r02")])
    log = run(wh, pauses)
    paths = [p.split("?")[0] for p, _, _ in robot.requests]
    assert paths == [
        "/cgi-bin/webhook/send",
        "/cgi-bin/webhook/upload_media",
        "/cgi-bin/webhook/send",
        "/cgi-bin/webhook/send",
    ]
    first = json.loads(robot.requests[0][2])
    assert first["msgtype"] == "markdown" and "report_R02_" in first["markdown"]["content"]
    path, ctype, body = robot.requests[1]
    assert "key=test-key" in path and "type=file" in path and ctype.startswith("multipart/form-data")
    part = next(
        email.message_from_bytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body, policy=policy.default
        ).iter_parts()
    )
    assert part.get_param("name", header="content-disposition") == "media"
    assert part.get_filename().startswith("report_R02_") and part.get_content()[:4] == b"%PDF"
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(part.get_content())
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Shanghai" in words and "Beijing" not in words and "Guangzhou" not in words
    assert json.loads(robot.requests[2][2]) == {"msgtype": "file", "file": {"media_id": "media2"}}
    text = json.loads(robot.requests[3][2])["markdown"]["content"]
    assert "R02" in text or "上海" in text
    assert "R01" not in text and "北京" not in text
    assert not [r for r in log if r["status"] == "skipped"]
    assert [(p["username"], p["nodes"], bool(p["note"])) for p in delivery.preview(wh, rep)] == [
        ("head_r02", "R02", False)
    ]
    # a digest sends only insights it has not sent before
    robot.requests.clear()
    run(wh, pauses)
    sent = [json.loads(b) for p, _, b in robot.requests if "/send" in p]
    again = [m["markdown"]["content"] for m in sent if m["msgtype"] == "markdown"]
    assert any("没有新的洞察" in t for t in again)
    assert digest.id in {r["subscription_id"] for r in subs.delivery_log() if r["status"] == "sent"}


def test_a_closed_smtp_port_is_retried_with_backoff_and_logged(wh, monkeypatch, pauses, bank):
    monkeypatch.setenv("COCKPIT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COCKPIT_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("COCKPIT_DELIVERY_ATTEMPTS", "3")
    monkeypatch.setenv("COCKPIT_DELIVERY_BACKOFF", "2")
    subs.create(
        wh, auth.get_user("head_r01b02"), "R01B02", "digest", "daily", [("head@bank.local", "head_r01b02")]
    )
    (row,) = run(wh, pauses)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "ConnectionRefusedError" in row["detail"]
    assert pauses == [2.0, 4.0]
    assert subs.delivery_log(1)[0]["status"] == "failed"


def test_an_http_500_is_retried_until_the_robot_answers(wh, robot, monkeypatch, pauses):
    monkeypatch.setenv("COCKPIT_DELIVERY_BACKOFF", "1")
    subs.create(wh, auth.get_user("head_r01b02"), "R01B02", "digest", "daily", [(robot.url, "head_r01b02")])
    robot.fail_first = 2
    (row,) = run(wh, pauses)
    assert (row["status"], row["attempts"]) == ("sent", 3) and pauses == [1.0, 2.0]
    robot.fail_first = 99
    with subs.connect() as con:
        con.execute(text("delete from delivery_log where status = 'sent' and address = :a"), {"a": robot.url})
    (row,) = run(wh, pauses)
    assert row["status"] == "failed" and "HTTP Error 500" in row["detail"]


def test_due_dry_run_and_refusals(wh, smtp, pauses):
    head = auth.get_user("head_r01")
    sub = subs.create(wh, head, "R01", "digest", "weekly", [("a@bank.local", "head_r01")])
    assert subs.is_due(sub, pd.Timestamp("2026-11-23 08:00").to_pydatetime())
    (row,) = delivery.deliver(dry_run=True, wh=wh, sleep=pauses.append)
    assert row["status"] == "dry_run" and smtp.messages == []
    delivery.deliver(wh=wh, sleep=pauses.append)
    assert len(smtp.messages) == 1
    assert delivery.deliver(wh=wh, sleep=pauses.append) == []  # sent this week already: not due
    with pytest.raises(ScopeError):
        subs.create(wh, head, "R02", "pdf", "daily", [("a@bank.local", "head_r01")])
    with pytest.raises(subs.SubscriptionError, match="neither an email address nor a webhook URL"):
        subs.create(wh, head, "R01", "pdf", "daily", [("not an address", "head_r01")])
    with pytest.raises(subs.SubscriptionError, match="no such user or not allowed"):
        subs.create(wh, head, "R01", "pdf", "daily", [("a@bank.local", "nobody")])
    with pytest.raises(subs.SubscriptionError, match="no such subscription or not allowed"):
        subs.set_active(auth.get_user("head_r02"), sub.id, False)
    assert (
        delivery.upload_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
        == "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=K&type=file"
    )


def test_cockpit_deliver_command_prints_the_log(wh, smtp, capsys):
    from cockpit.ops import cli

    subs.create(wh, auth.get_user("head_r01"), "R01", "digest", "daily", [("c@bank.local", "head_r01")])
    assert cli.main(["deliver", "--now", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry_run" in out and "c@bank.local" in out and "1 deliveries" in out


def test_the_subscriptions_page_creates_one_for_the_chosen_node(app):
    at = app("head_r02")
    at.switch_page("pages/subscriptions.py").run()
    at.selectbox(key="sub_kind").select("digest")
    at.text_area(key="sub_recipients").input("ops.r02@bank.local head_r02\nnot-an-address head_r02")
    next(b for b in at.button if b.label in ("Subscribe", "创建订阅")).click().run()
    assert any("neither an email address nor a webhook URL" in e.value for e in at.error)
    at.text_area(key="sub_recipients").input("ops.r02@bank.local head_r02")
    next(b for b in at.button if b.label in ("Subscribe", "创建订阅")).click().run()
    assert not at.exception and at.success
    made = [
        s
        for s in subs.all_subscriptions()
        if s.created_by == "head_r02" and s.recipients[0].address == "ops.r02@bank.local"
    ]
    assert len(made) == 1 and made[0].org_id == "R02" and made[0].kind == "digest"
