"""What the `reach watch` lab tests share (test_watch*.py): the daemon's config and start, the
recording servers (webhook_receiver.py, smtp_sink.py) and reading what they recorded, HTTP from
inside a namespace, waiting for a condition, and an ICMP outage of a host."""

import datetime
import json
import os
import re
import select
import subprocess
import time
from pathlib import Path

import lab as lablib

HERE = Path(__file__).resolve().parent
RECEIVER = HERE / "webhook_receiver.py"
SINK = HERE / "smtp_sink.py"
TIMEOUT = 60


def watch(host, reach, *args, timeout=TIMEOUT):
    return host.run([str(reach), "watch", *args], check=False, timeout=timeout)


def recording_server(host, script, out, port, max_seconds=300, args=()):
    """Start one of the recording servers in host's namespace; returns (proc, out) once it listens."""
    proc = host.popen([lablib.python_bin(), "-B", str(script), "--port", str(port), "--out", str(out),
                       "--max-seconds", str(max_seconds), *args], text=False, bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=10)
    return proc, out


def receiver(host, tmp_path, port=9099, name="hook.jsonl", delay=0.0):
    """The webhook receiver; `delay`: seconds between recording a POST and answering it."""
    return recording_server(host, RECEIVER, tmp_path / name, port, args=("--delay", str(delay)))


def smtp_sink(host, tmp_path, port=2525):
    return recording_server(host, SINK, tmp_path / "mail.jsonl", port)


def read_jsonl(path):
    """What a recording server wrote so far (one JSON object per line)."""
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


received = read_jsonl  # webhook POSTs
mails = read_jsonl     # SMTP messages


def http_get(host, url, timeout=10):
    """GET from inside the namespace (curl), returns (status, body). -g: brackets in the URL are
    sent as they are (a target named [2001:db8::1]:80), not taken as a curl glob."""
    r = host.run(["curl", "-sg", "-m", str(timeout), "-w", "\n%{http_code}", url], check=False, timeout=timeout + 5)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def wait_up(host, url, timeout=30):
    """True once url answers 200 (within timeout seconds)."""
    return bool(wait_for(lambda: http_get(host, url, 2)[0] == 200, timeout, step=0.2))


def unix(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def read_lines(stream, n, timeout):
    """Up to n lines from a process pipe within timeout seconds, read from its fd a byte at a time: a
    buffered readline would take several lines at once (select() then sees nothing left), and a
    larger read could take a line past the n-th that the next call must still see."""
    fd, buf, end = stream.fileno(), b"", time.monotonic() + timeout
    while buf.count(b"\n") < n:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace").splitlines()


def queued(host, notifier):
    """reach_watch_notifications_queued of one notifier (None before the daemon answers): what its
    outbox has not marked delivered. A recording server has a message before the daemon commits
    `delivered`; a test that then takes that server or the daemon away waits for this to be 0."""
    code, body = http_get(host, "http://127.0.0.1:9798/metrics")
    m = re.search(rf'^reach_watch_notifications_queued\{{notifier="{notifier}"\}} (\S+)$', body, re.M)
    return float(m.group(1)) if code == 200 and m else None


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def block_icmp(host, on):
    if on:
        host.nft("table inet blk {\n chain input {\n type filter hook input priority 0;\n"
                 " icmp type echo-request drop\n icmpv6 type echo-request drop\n }\n}\n")
    else:
        host.run(["nft", "delete", "table", "inet", "blk"])


def daemon_config(tmp_path, targets, interval="500ms", timeout="400ms", failures=3, successes=2, extra=""):
    cfg = tmp_path / "watch.yml"
    rows = "\n".join("  - " + json.dumps(t) for t in targets)
    cfg.write_text(f"""listen: "127.0.0.1:9798"
db: {tmp_path / 'watch.db'}
defaults: {{ interval: {interval}, timeout: {timeout} }}
targets:
{rows}
alerts:
  - {{ name: down, failures: {failures}, successes: {successes}, notify: [hook] }}
notifiers:
  hook: {{ webhook: "http://127.0.0.1:9099/alert" }}
{extra}""")
    return cfg


def start_daemon(host, reach, cfg, events, prefix=()):
    """`prefix`: a command the daemon runs under (chrt for a test of its own timing)."""
    proc = host.popen([*prefix, str(reach), "watch", "--config", str(cfg), "--events", str(events)],
                      stdout=subprocess.DEVNULL, text=True)
    ok = wait_for(lambda: http_get(host, "http://127.0.0.1:9798/-/healthy", 2)[0] == 200, 30)
    assert ok, f"reach watch did not start: {proc.poll()} {proc.stderr.read() if proc.poll() is not None else ''}"
    return proc


def events_of(path, kind=None):
    """The daemon's --events file so far, optionally only one type."""
    text = path.read_text() if path.exists() else ""
    text = text[:text.rfind("\n") + 1]  # not a line the daemon is writing right now
    return [e for e in lablib.parse_ndjson(text) if kind is None or e["type"] == kind]


def two_routes(lab):
    """client - r1 - r2a - server, r1 - r2b - server; the server owns 198.19.77.0/24, which r1
    routes via r2a (switch with r1.ip("route", "replace", ..., "via", via_b)). Returns the hosts
    (client, r1, server), r1's address on the client's link, via_a and via_b."""
    client, r1, r2a, r2b, server = (lab.host(n) for n in ("client", "r1", "r2a", "r2b", "server"))
    l1 = lab.link(client, r1)
    l2 = lab.link(r1, r2a)
    l3 = lab.link(r1, r2b)
    lab.link(r2a, server)
    lab.link(r2b, server)
    lab.local_addresses(server, "198.19.77.0/24")
    via_a, via_b = l2.addr4(r2a), l3.addr4(r2b)
    r1.ip("route", "replace", "198.19.77.0/24", "via", via_a)
    return client, r1, server, l1.addr4(r1), via_a, via_b
