"""`cockpit deliver`: render each due subscription once per node and recipient scope, and send it.

What a recipient receives is rendered with *their* scope (cockpit/delivery/subscriptions.py says which nodes),
so
a report or digest never carries another branch's figures, whoever created the subscription. Email goes by
SMTP (COCKPIT_SMTP_*); a WeCom group robot gets a markdown message and, for a report, the file uploaded
through the robot's upload_media address and then sent as a file message. Each send is tried
COCKPIT_DELIVERY_ATTEMPTS times with a doubling pause (COCKPIT_DELIVERY_BACKOFF seconds first), and every
outcome — sent, failed (with the last error), skipped (with the reason), dry run — goes to the delivery log.
A run claims each subscription before sending it and asks again whether it is due, so runs started at the
same moment (cron on two servers sharing the state) never send one twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import smtplib
import socket
import ssl
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from cockpit.core import config, i18n
from cockpit.core.periods import Period
from cockpit.delivery import subscriptions as subs
from cockpit.state import auth
from cockpit.warehouse.layer import Scope, Warehouse, open_warehouse

TIMEOUT = 30
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WECOM_MARKDOWN_LIMIT = 4000  # the robot refuses markdown longer than 4096 bytes


class DeliveryError(RuntimeError):
    """A send failed (server refused, unreachable, robot error code); the message says which."""


@dataclass
class Rendered:
    subject: str
    text: str
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the insights a digest holds


def report_period(frequency: str, as_of: dt.date) -> Period:
    """Monthly subscriptions get the last complete month; daily and weekly ones the month to date."""
    current = Period.containing("month", as_of, as_of)
    return current.shifted(-1) if frequency == "monthly" and not current.is_complete else current


def nodes_for(wh: Warehouse, creator: auth.User, recipient: auth.User, org_id: str) -> tuple[list[str], str]:
    """The nodes this recipient may receive for a subscription of `org_id`, or ([], why not)."""
    if org_id not in wh.visible_orgs(creator.scope):
        return [], f"{org_id} is no longer in the scope of the subscription's creator: nothing is sent"
    if org_id in wh.visible_orgs(recipient.scope):
        return [org_id], ""
    below = wh.visible_orgs(Scope(creator.username, creator.role, (org_id,)))
    own = [o for o in recipient.org_ids if o in below]
    if own:
        return own, ""
    return [], f"{org_id} is outside the recipient's scope: nothing of it is sent to this recipient"


def preview(wh: Warehouse, sub: subs.Subscription) -> list[dict]:
    """What each recipient of a subscription would receive now: their nodes, or why nothing."""
    out = []
    for r in sub.recipients:
        try:
            nodes, why = nodes_for(wh, auth.get_user(sub.created_by), auth.get_user(r.username), sub.org_id)
        except auth.UserError:
            nodes, why = [], auth.NOT_ALLOWED
        out.append({"address": r.address, "username": r.username, "nodes": ", ".join(nodes), "note": why})
    return out


def _insight_key(i) -> str:
    """What a digest has already sent: the insight's own key (type, node, series, week...) when it has one,
    so a new week's change at a node is news even after another change there was sent."""
    return i.stable_key()


def render(
    wh: Warehouse,
    scope: Scope,
    org_id: str,
    kind: str,
    period: Period,
    lang: str,
    seen: frozenset[str] = frozenset(),
) -> Rendered:
    """A report (pdf / xlsx) or a digest of the insights not sent before, built with `scope`."""
    names = wh.run("org_tree", scope).set_index("org_id")
    name = names.loc[org_id, "name_zh" if lang == "zh" else "name_en"]
    subject = i18n.t(f"loop.mail.subject_{kind}", lang, org=name, period=period.label)
    if kind == "digest":
        from cockpit.guidance import stored

        found = [i for i in stored.guidance(wh, scope, org_id, period)[0] if _insight_key(i) not in seen]
        lines = [f"**{subject}**", ""] + [f"- **{i.title(lang)}** {i.text(lang)}" for i in found]
        if not found:
            lines.append(i18n.t("loop.mail.no_new", lang))
        return Rendered(subject, "\n".join(lines), [], [_insight_key(i) for i in found])
    from cockpit.reports import batch, data

    fmt = kind
    blob = batch.render(data.collect(wh, scope, org_id, period, lang), fmt)
    fname = batch.file_name(org_id, period, fmt)
    return Rendered(
        subject,
        f"**{subject}**\n\n" + i18n.t("loop.mail.attached", lang, file=fname),
        [(fname, blob, MIME[fmt])],
    )


def send_email(address: str, r: Rendered) -> None:
    host = config.get("COCKPIT_SMTP_HOST")
    if not host:
        raise DeliveryError("no SMTP server: set COCKPIT_SMTP_HOST")
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = r.subject, config.get("COCKPIT_SMTP_FROM"), address
    msg.set_content(r.text)
    for fname, blob, mime in r.files:
        main, sub = mime.split("/", 1)
        msg.add_attachment(blob, maintype=main, subtype=sub, filename=fname)
    try:
        with smtplib.SMTP(host, int(config.get("COCKPIT_SMTP_PORT")), timeout=TIMEOUT) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.get("COCKPIT_SMTP_USER"):
                smtp.login(config.get("COCKPIT_SMTP_USER"), config.get("COCKPIT_SMTP_PASSWORD"))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        raise DeliveryError(f"SMTP {host}: {type(e).__name__}: {str(e)[:200]}") from e


def _post(url: str, body: bytes, content_type: str) -> dict:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            answer = json.loads(resp.read() or b"{}")
    except (OSError, ValueError) as e:
        raise DeliveryError(
            f"webhook {urllib.parse.urlsplit(url).netloc}: {type(e).__name__}: {str(e)[:200]}"
        ) from e
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(
            f"webhook answered errcode {answer.get('errcode')}: {str(answer.get('errmsg'))[:200]}"
        )
    return answer


def upload_url(webhook: str) -> str:
    """The robot's upload address: .../webhook/send?key=K → .../webhook/upload_media?key=K&type=file."""
    parts = urllib.parse.urlsplit(webhook)
    path = parts.path.rsplit("/", 1)[0] + "/upload_media"
    query = urllib.parse.urlencode([*urllib.parse.parse_qsl(parts.query), ("type", "file")])
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def send_wecom(url: str, r: Rendered) -> None:
    text = r.text.encode("utf-8")[:WECOM_MARKDOWN_LIMIT].decode("utf-8", "ignore")
    _post(
        url,
        json.dumps({"msgtype": "markdown", "markdown": {"content": text}}, ensure_ascii=False).encode(),
        "application/json",
    )
    for fname, blob, mime in r.files:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="{fname}"\r\n'
                f"Content-Type: {mime}\r\n\r\n"
            ).encode()
            + blob
            + f"\r\n--{boundary}--\r\n".encode()
        )
        media = _post(upload_url(url), body, f"multipart/form-data; boundary={boundary}").get("media_id")
        if not media:
            raise DeliveryError("webhook upload answered without a media_id")
        _post(url, json.dumps({"msgtype": "file", "file": {"media_id": media}}).encode(), "application/json")


def with_retries(
    send: Callable[[], None], sleep: Callable[[float], None] = time.sleep
) -> tuple[bool, int, str]:
    """(sent, attempts made, last error): bounded attempts with a doubling pause between them."""
    attempts, pause = (
        max(int(config.get("COCKPIT_DELIVERY_ATTEMPTS")), 1),
        float(config.get("COCKPIT_DELIVERY_BACKOFF")),
    )
    error = ""
    for n in range(1, attempts + 1):
        try:
            send()
            return True, n, ""
        except DeliveryError as e:
            error = str(e)
            if n < attempts:
                sleep(pause * 2 ** (n - 1))
    return False, attempts, error


def _seen(sub: subs.Subscription, rcpt: subs.Recipient, org_id: str) -> frozenset[str]:
    """The insights already sent to this recipient for this node (for a digest of new insights)."""
    for row in subs.delivery_log(5000):
        key = (row["subscription_id"], row["recipient_id"], row["org_id"], row["status"])
        if key == (sub.id, rcpt.id, org_id, "sent") and row["detail"].startswith("insights:"):
            return frozenset(k for k in row["detail"][9:].split(";") if k)
    return frozenset()


def deliver(
    now: bool = False,
    dry_run: bool = False,
    at: dt.datetime | None = None,
    wh: Warehouse | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict]:
    """Deliver every due active subscription (all of them with `now`); returns the log rows written."""
    wh = wh or open_warehouse(config.warehouse_target())
    at = at or dt.datetime.now()
    as_of = wh.sql("select max(as_of) as as_of from warehouse_info")["as_of"].iloc[0]
    as_of = as_of if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime) else as_of.date()
    last = subs.delivery_log(1)
    start_id = last[0]["id"] if last else 0
    cache: dict[tuple, Rendered] = {}  # one rendering per node, scope, kind, language and period in a run
    run, mine = run_id(), set()
    for sub in subs.all_subscriptions(active_only=True):
        if not now and not subs.is_due(sub, at):
            continue
        if not dry_run and not subs.claim(sub.id, run):
            continue  # another run is sending it now
        try:
            if not now and not subs.is_due(sub, at):  # asked again under the claim: another run just sent it
                continue
            mine.add(sub.id)
            period = report_period(sub.frequency, as_of)
            for rcpt in sub.recipients:
                _deliver_one(wh, sub, rcpt, period, dry_run, sleep, cache)
        finally:
            if not dry_run:
                subs.release(sub.id, run)
    return [r for r in subs.log_since(start_id) if r["subscription_id"] in mine]


def run_id() -> str:
    """Names one delivery run in a claim: the machine, the process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _deliver_one(
    wh: Warehouse,
    sub: subs.Subscription,
    rcpt: subs.Recipient,
    period: Period,
    dry_run: bool,
    sleep: Callable[[float], None],
    cache: dict[tuple, Rendered],
) -> None:
    try:
        creator, user = auth.get_user(sub.created_by), auth.get_user(rcpt.username)
    except auth.UserError:
        subs.log(sub, rcpt, sub.org_id, "skipped", detail=auth.NOT_ALLOWED)
        return
    nodes, why = nodes_for(wh, creator, user, sub.org_id)
    if not nodes:
        subs.log(sub, rcpt, sub.org_id, "skipped", detail=why)
        return
    for node in nodes:
        seen = _seen(sub, rcpt, node) if sub.kind == "digest" else frozenset()
        key = (node, user.scope.key, sub.kind, sub.lang, period.label, seen)
        try:
            r = (
                cache[key]
                if key in cache
                else cache.setdefault(key, render(wh, user.scope, node, sub.kind, period, sub.lang, seen))
            )
        except Exception as e:  # a report that cannot be built is logged, and the others still go out
            subs.log(sub, rcpt, node, "failed", detail=f"render: {type(e).__name__}: {str(e)[:300]}")
            continue
        files = [f[0] for f in r.files]
        note = "insights:" + ";".join(sorted(seen | set(r.keys))) if sub.kind == "digest" else ""
        if dry_run:
            subs.log(sub, rcpt, node, "dry_run", files=files, detail=r.subject)
            continue
        send = functools.partial(send_wecom if rcpt.channel == "wecom" else send_email, rcpt.address, r)
        ok, attempts, error = with_retries(send, sleep)
        subs.log(sub, rcpt, node, "sent" if ok else "failed", attempts, files, note if ok else error)
