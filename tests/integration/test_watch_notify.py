"""reach watch's email notifier, queued gauge and syn/udp probes in network-namespace labs: a target that goes
down and comes back sends exactly one firing and one resolved mail (Subject, Message-ID, the
envelope, AUTH PLAIN with the password_file's text) to a real SMTP server; a server that is down
at first gets the mail from the outbox once it is up, and reach_watch_notifications_queued
counts it meanwhile. A stop waits (5 s at most) for a webhook's answer already on its way, so a
restart sends nothing twice. syn and udp probes: up, refused/port unreachable, silent, and a syn probe
without CAP_NET_RAW that says so. Needs root (skips otherwise)."""

import email
import json
import re
import shutil
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import lab as lablib
from watch_lab import (block_icmp, daemon_config, events_of, http_get, mails, queued, read_lines, receiver,
                       received, smtp_sink, start_daemon, wait_for)


def mail_config(tmp_path, host4, failures=2):
    (tmp_path / "smtp.pw").write_text("s3cret\n")
    cfg = tmp_path / "watch.yml"
    cfg.write_text(f"""listen: "127.0.0.1:9798"
db: {tmp_path / 'watch.db'}
defaults: {{ interval: 500ms, timeout: 400ms }}
targets:
  - {{ name: web1, probe: icmp, host: {host4} }}
alerts:
  - {{ name: down, failures: {failures}, successes: 2, notify: [mail] }}
notifiers:
  mail:
    smtp: "smtp://127.0.0.1:2525"
    from: "reach <reach@mon1.example.net>"
    to: ["Ops <ops@example.net>", "oncall@example.net"]
    username: watcher
    password_file: {tmp_path / 'smtp.pw'}
    starttls: false
    timeout: 5s
""")
    return cfg


def subject(m):
    return email.message_from_string(m["data"])["Subject"]


def message_id(m):
    return email.message_from_string(m["data"])["Message-ID"]


def test_email_down_and_back_gives_one_firing_and_one_resolved_mail(lab, reach, tmp_path):
    p = lab.pair()
    _, out = smtp_sink(p.client, tmp_path)
    cfg = mail_config(tmp_path, p.server4)
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: '"to":"up"' in events.read_text() if events.exists() else False, 10)
    block_icmp(p.server, True)
    assert wait_for(lambda: len(mails(out)) >= 1, 10), events.read_text()
    block_icmp(p.server, False)
    assert wait_for(lambda: len(mails(out)) >= 2, 10), events.read_text()
    # The sink has the mail before the daemon commits it delivered (an fsync).
    assert wait_for(lambda: queued(p.client, "mail") == 0, 20)
    time.sleep(2)  # nothing more may arrive
    got = mails(out)
    assert [subject(m) for m in got] == ["[reach] FIRING down: web1 is down",
                                         "[reach] RESOLVED down: web1 is up again"], got
    ids = [message_id(m) for m in got]
    assert all(re.fullmatch(r"<[^@<>]+@[^@<>]+>", i or "") for i in ids) and ids[0] != ids[1], ids
    for m in got:
        assert m["from"] == "reach@mon1.example.net"
        assert m["rcpt"] == ["ops@example.net", "oncall@example.net"]
        assert m["auth"] == ["watcher", "s3cret"]
    assert lab.stop(proc) == 0


def test_email_reaches_a_server_that_comes_up_later(lab, reach, tmp_path):
    p = lab.pair()
    cfg = mail_config(tmp_path, p.server4)
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: '"to":"up"' in events.read_text() if events.exists() else False, 10)
    assert queued(p.client, "mail") == 0
    block_icmp(p.server, True)
    assert wait_for(lambda: '"type":"firing"' in events.read_text(), 10), events.read_text()
    # Nothing listens on 2525: the mail waits in the outbox, and the gauge says so.
    assert wait_for(lambda: queued(p.client, "mail") == 1, 10)
    assert wait_for(lambda: "notifier mail" in events.read_text(), 5), events.read_text()
    _, out = smtp_sink(p.client, tmp_path)
    got = wait_for(lambda: mails(out), 15)  # backoff: the next retry is at most 4 s away
    assert got and subject(got[0]) == "[reach] FIRING down: web1 is down", got
    assert wait_for(lambda: queued(p.client, "mail") == 0, 20)  # delivered is committed after the sink has it
    time.sleep(2)
    assert len(mails(out)) == 1, mails(out)  # sent once, however many attempts failed
    assert lab.stop(proc) == 0


# ------------------------------------------------------------------------ syn and udp probes

def outbox(tmp_path):
    """(status, key suffix) of every outbox item: 0 pending, 1 delivered."""
    db = sqlite3.connect(f"file:{tmp_path / 'watch.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT status, id FROM outbox ORDER BY id").fetchall()
    finally:
        db.close()


def firing_on_its_way(lab, reach, tmp_path, delay):
    """A watch daemon whose firing webhook the receiver has recorded and answers `delay` s later."""
    p = lab.pair()
    rx, hook = receiver(p.client, tmp_path, delay=delay)
    cfg = daemon_config(tmp_path, [{"name": "web1", "probe": "icmp", "host": p.server4}], failures=2)
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: [e for e in events_of(events) if e.get("to") == "up"], 10), events.read_text()
    block_icmp(p.server, True)
    assert wait_for(lambda: len(received(hook)) == 1, 10), events_of(events)
    return p, rx, hook, cfg, events, proc


def test_a_stop_waits_for_the_answer_on_its_way_and_the_restart_sends_nothing_twice(lab, reach, tmp_path):
    """SIGTERM between the receiver's recording of a POST and its answer: the daemon waits for the
    answer and commits the delivery before it exits. It used to exit at once, and the next start
    sent the same notification again (`reach usage` sent a 90 % alert twice over a restart)."""
    p, _, hook, cfg, events, proc = firing_on_its_way(lab, reach, tmp_path, delay=1.5)
    assert lab.stop(proc, timeout=20) == 0
    assert [s for s, _ in outbox(tmp_path)] == [1], outbox(tmp_path)
    proc = start_daemon(p.client, reach, cfg, events)
    block_icmp(p.server, False)
    assert wait_for(lambda: len(received(hook)) >= 2, 15), events_of(events)
    time.sleep(2)  # the outbox's 1 s retry timer has run: nothing else may arrive
    assert lab.stop(proc, timeout=20) == 0
    got = received(hook)
    assert [m["body"]["status"] for m in got] == ["firing", "resolved"], got
    assert len({m["key"] for m in got}) == 2, got


def test_a_stop_waits_five_seconds_at_most_and_the_next_start_sends_it_again(lab, reach, tmp_path):
    """A receiver that never answers holds a stop 5 s, not for ever; the item stays in the outbox
    and the next start sends it again under the same key (at-least-once, docs/WATCH.md)."""
    p, rx, hook, cfg, events, proc = firing_on_its_way(lab, reach, tmp_path, delay=120)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    took = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert 4.5 <= took < 25, took
    assert "stopping with 1 deliveries unconfirmed" in err, err
    assert [s for s, _ in outbox(tmp_path)] == [0], outbox(tmp_path)
    assert lab.stop(rx) is not None
    hook.unlink()
    receiver(p.client, tmp_path)
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: len(received(hook)) == 1, 15), events_of(events)
    assert lab.stop(proc, timeout=20) == 0
    assert [s for s, _ in outbox(tmp_path)] == [1], outbox(tmp_path)
    assert received(hook)[0]["body"]["status"] == "firing"


def test_the_stop_signal_again_ends_the_wait_at_once_and_says_what_it_leaves(lab, reach, tmp_path):
    """A second SIGTERM (systemd's, an impatient operator's) ends the 5 s wait at once, and what it
    leaves unconfirmed is said as the wait's end says it: it used to be left in silence."""
    p, rx, hook, cfg, events, proc = firing_on_its_way(lab, reach, tmp_path, delay=120)
    said = "reach watch: outbox: stopping with 1 deliveries unconfirmed; the next start sends them again"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    # Timed to the line, said on the loop at the signal: the exit after it (an ASan binary's leak
    # check) takes seconds on a loaded machine and is not what this is about. Without the second
    # signal the line comes at the 5 s wait's end.
    lines = []
    while said not in lines and time.monotonic() - t0 < 30:
        got = read_lines(proc.stderr, 1, 1)
        if not got and proc.poll() is not None:
            break
        lines += got
    took = time.monotonic() - t0
    assert said in lines, lines
    assert took < 4.5, took
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (lines + err.splitlines()).count(said) == 1, (lines, err)
    assert [s for s, _ in outbox(tmp_path)] == [0], outbox(tmp_path)
    assert lab.stop(rx) is not None


# An SMTP server on 127.0.0.1:2525 for one client (`c`), which then does what follows.
SMTP_ONE_CLIENT = """import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 2525))
s.listen(4)
print("ready", flush=True)
c, _ = s.accept()
"""

SILENT_SMTP = SMTP_ONE_CLIENT + """print("accepted", flush=True)
time.sleep(120)
"""


def mailing_to(lab, reach, tmp_path, script, line):
    """A watch daemon (mail timeout 60 s) whose firing mail went to the SMTP server `script`,
    once that server printed `line`: (pair, server, daemon, events file)."""
    p = lab.pair()
    server = p.client.popen([lablib.python_bin(), "-c", script], text=False, bufsize=0)
    lablib._wait_for_line(server, b"ready", timeout=10)
    cfg = mail_config(tmp_path, p.server4)
    cfg.write_text(cfg.read_text().replace("timeout: 5s", "timeout: 60s"))
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: [e for e in events_of(events) if e.get("to") == "up"], 30), events.read_text()
    block_icmp(p.server, True)
    lablib._wait_for_line(server, line, timeout=30)
    return p, server, proc, events


def test_a_stop_is_not_held_by_an_smtp_server_that_never_greets(lab, reach, tmp_path):
    """An SMTP server that accepts and never says its 220: the 5 s wait ended, then curl's QUIT
    on the way out waited for it up to the notifier's timeout (60 s here, 120 s at most)."""
    p, server, proc, events = mailing_to(lab, reach, tmp_path, SILENT_SMTP, b"accepted")
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=40)
    took = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert "stopping with 1 deliveries unconfirmed" in err, err
    assert 4.5 <= took < 30, took  # not the notifier's 60 s
    assert [s for s, _ in outbox(tmp_path)] == [0], outbox(tmp_path)
    assert lab.stop(server) is not None


STALLING_SMTP = SMTP_ONE_CLIENT + """f = c.makefile("rb")
c.sendall(b"220 stall.test ESMTP\\r\\n")
while True:
    line = f.readline()
    if not line:
        sys.exit(0)
    verb = line[:4].upper()
    if verb == b"DATA":
        c.sendall(b"354 go on\\r\\n")
        while f.readline() not in (b".\\r\\n", b""):
            pass
        print("message", flush=True)
        time.sleep(120)  # and never says 250
    c.sendall(b"250 ok\\r\\n")
"""


def test_an_smtp_server_that_stalls_after_the_message_stops_no_probe(lab, reach, tmp_path):
    """libcurl waits for the reply to a message's final "." blocking, on the multi interface too:
    a server that stalled there froze the daemon's loop for the notifier's timeout (2 rounds in
    12 s at 500 ms, no HTTP answer), and the stop took 138 s. Mail is sent off the loop now."""
    p, server, proc, events = mailing_to(lab, reach, tmp_path, STALLING_SMTP, b"message")
    n = len(events_of(events, "round"))
    assert wait_for(lambda: len(events_of(events, "round")) >= n + 4, 15), events_of(events)[-3:]
    assert http_get(p.client, "http://127.0.0.1:9798/-/healthy", 10)[0] == 200
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert "stopping with 1 deliveries unconfirmed" in err, err
    assert took < 25, took  # 5 s of waiting, then the message is given up within a second
    assert [s for s, _ in outbox(tmp_path)] == [0], outbox(tmp_path)
    assert lab.stop(server) is not None


def running(pid):
    """Whether pid still runs (a zombie left to an init that does not reap counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_stop_that_gives_up_on_an_exec_notifier_kills_it_as_its_timeout_would(lab, reach, tmp_path):
    """An `exec` notifier still running when the 5 s wait ends was left running after the daemon
    exited, while the next start ran it again for the same notification."""
    p = lab.pair()
    pids = tmp_path / "exec.pids"
    cfg = daemon_config(tmp_path, [{"name": "web1", "probe": "icmp", "host": p.server4}], failures=2)
    cfg.write_text(cfg.read_text().replace('hook: { webhook: "http://127.0.0.1:9099/alert" }',
                                           f'hook: {{ exec: ["/bin/sh", "-c", "echo $$ >> {pids}; exec sleep 120"], '
                                           'timeout: 5m }'))
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: [e for e in events_of(events) if e.get("to") == "up"], 10), events.read_text()
    block_icmp(p.server, True)
    assert wait_for(lambda: pids.exists() and pids.read_text().strip(), 10), events_of(events)
    pid = int(pids.read_text().split()[0])
    assert running(pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopping with 1 deliveries unconfirmed" in err, err
    assert wait_for(lambda: not running(pid), 2), f"the exec notifier {pid} outlived the daemon"
    assert [s for s, _ in outbox(tmp_path)] == [0], outbox(tmp_path)


def packet_rounds(host, reach, tmp_path, targets, user=None):
    cfg = tmp_path / "packets.yml"
    rows = "\n".join("  - " + json.dumps(t) for t in targets)
    cfg.write_text(f"defaults: {{ interval: 500ms, timeout: 400ms }}\ntargets:\n{rows}\n")
    events = tmp_path / "packets.jsonl"
    events.unlink(missing_ok=True)
    r = host.run([str(reach), "watch", "--config", str(cfg), "-c", "2", "--no-live", "--events", str(events)],
                 check=False, timeout=30, user=user)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    rounds = [json.loads(l) for l in events.read_text().splitlines() if '"type":"round"' in l]
    out = {}
    for d in rounds:
        out.setdefault(d["target"], []).append(d)
    assert sorted(out) == sorted(t["name"] for t in targets), rounds
    assert all(len(v) == 2 for v in out.values()), rounds
    return out


def test_syn_and_udp_probes_up_refused_prohibited_unreachable_and_silent(lab, reach, tmp_path):
    p = lab.pair()
    p.server.listen(tcp=[8080], udp=[5353])
    # Silence for 8082 (SYN dropped) and 5355 (datagram dropped): nothing comes back at all.
    p.server.nft("table inet quiet {\n chain input {\n type filter hook input priority 0;\n"
                 " tcp dport 8082 drop\n udp dport 5355 drop\n"
                 " tcp dport 8083 reject with icmpx type admin-prohibited\n }\n}\n")
    got = packet_rounds(p.client, reach, tmp_path, [
        {"name": "syn-open", "probe": "syn", "host": p.server4, "port": 8080},
        {"name": "syn-open6", "probe": "syn", "host": p.server6, "port": 8080},
        {"name": "syn-closed", "probe": "syn", "host": p.server4, "port": 8081},
        {"name": "syn-silent", "probe": "syn", "host": p.server4, "port": 8082},
        {"name": "syn-prohibited", "probe": "syn", "host": p.server4, "port": 8083},
        {"name": "syn-prohibited6", "probe": "syn", "host": p.server6, "port": 8083},
        {"name": "udp-open", "probe": "udp", "host": p.server4, "port": 5353},
        {"name": "udp-open6", "probe": "udp", "host": p.server6, "port": 5353},
        {"name": "udp-closed", "probe": "udp", "host": p.server4, "port": 5354},
        {"name": "udp-closed6", "probe": "udp", "host": p.server6, "port": 5354},
        {"name": "udp-silent", "probe": "udp", "host": p.server4, "port": 5355},
    ])
    for name in ("syn-open", "syn-open6", "udp-open", "udp-open6"):
        for d in got[name]:
            assert d["success"] and d["received"] == 1 and 0 < d["rtts_ms"][0] < 400, d
    for d in got["syn-closed"]:
        assert not d["success"] and d["reason"] == "connection refused (RST)", d
    # An ICMP error about a SYN comes to the shared raw ICMP socket and is worded as check does.
    for name, addr in (("syn-prohibited", p.server4), ("syn-prohibited6", p.server6)):
        for d in got[name]:
            assert not d["success"] and d["reason"].startswith("admin-prohibited from"), d
            assert f"from {addr} (ICMP" in d["reason"], d
    for name, addr in (("udp-closed", p.server4), ("udp-closed6", p.server6)):
        for d in got[name]:
            assert not d["success"] and d["reason"].startswith("port-unreachable from"), d
            assert f"from {addr} (ICMP" in d["reason"], d
    for name in ("syn-silent", "udp-silent"):
        for d in got[name]:
            assert not d["success"] and d["reason"] == "timed out" and d["duration_ms"] >= 390, d


def test_syn_without_cap_net_raw_says_so(lab, reach, tmp_path):
    p = lab.pair()
    p.server.listen(tcp=[8080], udp=[5353])
    work = Path(tempfile.mkdtemp(prefix="reach-watch-nobody-"))  # pytest's tmp is root's alone
    try:
        work.chmod(0o777)
        got = packet_rounds(p.client, reach, work, [
            {"name": "syn", "probe": "syn", "host": p.server4, "port": 8080},
            {"name": "udp", "probe": "udp", "host": p.server4, "port": 5353},  # needs no privilege
        ], user="nobody")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for d in got["syn"]:
        assert not d["success"] and "need CAP_NET_RAW" in d["reason"], d
    assert all(d["success"] for d in got["udp"]), got["udp"]
