"""reach usage end to end in network-namespace labs (docs/USAGE.md): a veth of the lab carries known
traffic and `reach usage --daemon` must count exactly the kernel's counter deltas, through a
delete and re-create of the interface, a rename, a kill -9 while traffic flows and a restart; a
plan with a cap of 50 MB fires 80, 90 and 100 % exactly once each through a webhook, across
restarts, and again after a billing-cycle boundary (crossed with the test-only clock offset
REACH_USAGE_TEST_TIME_OFFSET). Needs root (skips otherwise)."""

import json
import re
import signal
import sqlite3
import subprocess
import threading
import time
import types

import lab as lablib
from test_watch import http_get, receiver, received, wait_for

POLL = "200ms"
SINK = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
print("ready", flush=True)
s.settimeout(120)
while True:
    c, _ = s.accept()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        n += len(b)
    c.close()
    print(n, flush=True)
"""
SEND = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
left = int(sys.argv[3]); buf = b"\0" * (1 << 16)
while left > 0:
    k = c.send(buf[:min(left, len(buf))]); left -= k
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
"""


class Link:
    """A veth u0 (client) - u1 (server) of our own, so the test may delete, re-create and rename
    it; IPv6 off on it, so no MLD/ND of its own adds bytes at moments the test does not choose."""

    def __init__(self, lab, net=200):
        self.c = lab.host("uc")
        self.s = lab.host("us")
        self.c4 = f"198.18.{net}.1"
        self.s4 = f"198.18.{net}.2"
        self.name = "u0"
        self.create()
        self.sink = self.s.popen([lablib.python_bin(), "-c", SINK, self.s4, "5001"], text=True, bufsize=1)
        assert self.sink.stdout.readline().strip() == "ready"

    def create(self):
        self.c.ip("link", "add", "u0", "type", "veth", "peer", "name", "u1", "netns", self.s.ns)
        for h, dev, a in ((self.c, "u0", self.c4), (self.s, "u1", self.s4)):
            h.sysctl(f"net.ipv6.conf.{dev}.disable_ipv6", 1)
            h.ip("addr", "add", f"{a}/24", "dev", dev)
            h.ip("link", "set", dev, "up")
        self.name = "u0"

    def delete(self):
        self.c.ip("link", "del", self.name)

    def rename(self, new):
        self.c.ip("link", "set", self.name, "down")
        self.c.ip("link", "set", self.name, "name", new)
        self.c.ip("link", "set", new, "up")
        self.name = new

    def push(self, nbytes):
        """nbytes of TCP payload client -> server; returns once the server read them all."""
        self.c.run([lablib.python_bin(), "-c", SEND, self.s4, "5001", str(nbytes)], timeout=60)
        assert int(self.sink.stdout.readline()) == nbytes

    def kernel(self):
        """(rx, tx) bytes of the client's interface now, as the kernel counts them."""
        r = self.c.run(["cat", f"/sys/class/net/{self.name}/statistics/rx_bytes",
                        f"/sys/class/net/{self.name}/statistics/tx_bytes"], timeout=10)
        rx, tx = r.stdout.split()
        return int(rx), int(tx)


def config(tmp_path, cap="1GB", count="both", thresholds="[80, 90, 100]", notify="", extra=""):
    cfg = tmp_path / "usage.yml"
    cfg.write_text(f"""db: {tmp_path / 'usage.db'}
usage:
  poll: {POLL}
  plans:
    - name: lab
      interfaces: [u0]
      cap: {cap}
      count: {count}
      cycle: {{ start_day: 1 }}
      thresholds: {thresholds}
{notify}
{extra}""")
    return cfg


class Daemon:
    """reach usage --daemon in the client namespace, its output lines collected."""

    def __init__(self, link, reach, cfg, env=None):
        argv = link.c.wrap([str(reach), "usage", "--config", str(cfg), "--daemon"])
        if env:
            argv = ["env", *[f"{k}={v}" for k, v in env.items()]] + argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        link.c.lab._track(self.proc)
        self.lines = []
        self.errors = []
        for stream, into in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=lambda s=stream, i=into: [i.append(l.rstrip("\n")) for l in s],
                             daemon=True).start()

    def wait_line(self, text, timeout=30):
        got = wait_for(lambda: [l for l in self.lines if text in l], timeout)
        assert got, f"no line with {text!r}: {self.lines} {self.errors}"
        return got

    def polls(self, n=3):
        time.sleep(n * 0.2 + 0.1)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)


def baseline(d):
    line = d.wait_line("counting from rx=")[0]
    rx = int(line.split("rx=")[1].split()[0])
    tx = int(line.split("tx=")[1].split()[0])
    return rx, tx


def counted(tmp_path):
    """(rx, tx) summed over every hourly bucket: straight from the database, independent of the
    report's formatting."""
    db = sqlite3.connect(f"file:{tmp_path / 'usage.db'}?mode=ro", uri=True)
    try:
        rx, tx = db.execute("SELECT coalesce(sum(rx), 0), coalesce(sum(tx), 0) FROM usage_hour").fetchone()
    finally:
        db.close()
    return rx, tx


def outbox_pending(tmp_path):
    """Notifications not yet marked delivered. The receiver records a POST before the daemon
    commits `delivered`; a kill -9 in between sends it again under the same key (at-least-once,
    ARCHITECTURE.md), so a test about what a restart remembers waits for this to reach 0."""
    db = sqlite3.connect(f"file:{tmp_path / 'usage.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM outbox WHERE status = 0").fetchone()[0]
    finally:
        db.close()


def report_json(link, reach, cfg):
    r = link.c.run([str(reach), "usage", "--config", str(cfg), "--json"], timeout=20, check=False)
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def test_counts_equal_the_kernels_counter_deltas(lab, reach, tmp_path):
    link = Link(lab)
    cfg = config(tmp_path)
    d = Daemon(link, reach, cfg)
    rx0, tx0 = baseline(d)
    link.push(3_000_000)
    link.push(1_234_567)
    d.polls()
    assert d.stop() == 0, d.errors
    rx1, tx1 = link.kernel()
    assert tx1 - tx0 > 4_234_567
    assert counted(tmp_path) == (rx1 - rx0, tx1 - tx0)
    # The report says the same (the daemon is stopped: its source is stale, the bytes are not).
    plan = [o for o in report_json(link, reach, cfg) if o["type"] == "usage"][0]
    assert (plan["rx_bytes"], plan["tx_bytes"]) == (rx1 - rx0, tx1 - tx0)
    assert plan["sources"][0]["name"] == "u0"


def test_a_second_daemon_on_the_same_database_refuses_to_count(lab, reach, tmp_path):
    """Two daemons on one database (reach watch and reach usage --daemon with the same file)
    each added every delta: the bytes were counted twice. The second one now refuses."""
    link = Link(lab)
    cfg = config(tmp_path)
    d = Daemon(link, reach, cfg)
    rx0, tx0 = baseline(d)
    second = link.c.run([str(reach), "usage", "--config", str(cfg), "--daemon"], timeout=20, check=False)
    assert second.returncode == 2, second
    assert "another reach daemon is already counting into this database" in second.stderr, second.stderr
    assert len(second.stderr.splitlines()) == 1, second.stderr
    wcfg = tmp_path / "watch.yml"
    wcfg.write_text(cfg.read_text())
    second = link.c.run([str(reach), "watch", "--config", str(wcfg)], timeout=20, check=False)
    assert second.returncode == 2 and "another reach daemon" in second.stderr, second
    link.push(1_000_000)
    d.polls()
    assert d.stop() == 0, d.errors
    rx1, tx1 = link.kernel()
    assert counted(tmp_path) == (rx1 - rx0, tx1 - tx0)
    # Once the first one is gone, a daemon may count again.
    d = Daemon(link, reach, cfg)
    d.wait_line("counting")
    assert d.stop() == 0, d.errors


def test_a_daemon_in_another_namespace_never_takes_a_link_there_for_the_one_counted(lab, reach, tmp_path):
    """An ifindex names a link only inside its network namespace. A daemon restarted in another
    namespace with the same database used to follow the stored ifindex to that namespace's link
    of the same index and count its whole counter as new traffic."""
    link = Link(lab)
    cfg = config(tmp_path)
    d = Daemon(link, reach, cfg)
    baseline(d)
    link.push(1_000_000)
    d.polls()
    assert d.stop() == 0, d.errors
    before = counted(tmp_path)
    index = int(link.c.run(["cat", "/sys/class/net/u0/ifindex"], timeout=10).stdout)
    # Another namespace whose link has u0's index, another name, and bytes on its counter.
    other = types.SimpleNamespace(c=lab.host("ux"))
    other.c.ip("link", "add", "ox0", "index", str(index), "type", "veth", "peer", "name", "ox1", "netns", link.s.ns)
    other.c.sysctl("net.ipv6.conf.ox0.disable_ipv6", 1)
    link.s.sysctl("net.ipv6.conf.ox1.disable_ipv6", 1)
    other.c.ip("addr", "add", "198.18.201.1/24", "dev", "ox0")
    link.s.ip("addr", "add", "198.18.201.2/24", "dev", "ox1")
    other.c.ip("link", "set", "ox0", "up")
    link.s.ip("link", "set", "ox1", "up")
    other.c.run(["ping", "-c", "3", "-i", "0.2", "-s", "1400", "-W", "2", "198.18.201.2"], timeout=20)
    assert int(other.c.run(["cat", "/sys/class/net/ox0/statistics/tx_bytes"], timeout=10).stdout) > 4000
    d = Daemon(other, reach, cfg)
    d.polls(5)
    assert d.stop() == 0, d.errors
    assert counted(tmp_path) == before, (d.lines, d.errors)


def test_report_without_a_database_is_one_clear_line(lab, reach, tmp_path):
    link = Link(lab)
    cfg = config(tmp_path)
    r = link.c.run([str(reach), "usage", "--config", str(cfg)], timeout=20, check=False)
    assert r.returncode == 2, r
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and "usage.db" in r.stderr, r.stderr


def test_reach_watch_counts_the_usage_section_too(lab, reach, tmp_path):
    link = Link(lab)
    cfg = config(tmp_path, extra='listen: "127.0.0.1:9798"\n')
    proc = link.c.popen([str(reach), "watch", "--config", str(cfg)], text=True)
    assert wait_for(lambda: http_get(link.c, "http://127.0.0.1:9798/-/healthy", 2)[0] == 200, 30)
    link.push(2_000_000)
    assert wait_for(lambda: counted(tmp_path)[1] > 2_000_000, 10), counted(tmp_path)
    rx1, tx1 = counted(tmp_path)
    assert rx1 > 0
    code, body = http_get(link.c, "http://127.0.0.1:9798/metrics")
    assert code == 200
    m = re.search(r'^reach_usage_cycle_bytes\{plan="lab",direction="tx"\} (\S+)$', body, re.M)
    assert m and float(m.group(1)) >= tx1, body
    assert re.search(r'^reach_usage_cap_bytes\{plan="lab"\} 1e\+09$', body, re.M), body
    assert lab.stop(proc) == 0, proc.stderr.read()


def test_watch_validate_reports_the_usage_sections_errors(reach, tmp_path):
    """--validate said OK (exit 0) for a usage: section the daemon then refused at start."""
    cfg = tmp_path / "bad.yml"
    cfg.write_text(f"db: {tmp_path}/u.db\nusage:\n  plans:\n    - name: m\n      interfaces: lo\n      cap: 0\n")
    r = subprocess.run([str(reach), "watch", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr == f"{cfg}:6: usage.plans[0].cap: must be a byte size above 0 like 30GB (GB = 10^9 bytes) or " \
        "30GiB (2^30)\n", r.stderr
    cfg.write_text("usage:\n  plans:\n    - name: m\n      interfaces: lo\n      cap: 1GB\n")
    r = subprocess.run([str(reach), "watch", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and "set `db:`" in r.stderr and len(r.stderr.splitlines()) == 1, r
    cfg.write_text(f"db: {tmp_path}/u.db\nusage:\n  plans:\n    - name: m\n      interfaces: lo\n      cap: 1GB\n")
    r = subprocess.run([str(reach), "watch", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r


def test_delete_recreate_rename_and_kill_9_lose_and_invent_nothing(lab, reach, tmp_path):
    link = Link(lab)
    cfg = config(tmp_path)
    d = Daemon(link, reach, cfg)
    rx0, tx0 = baseline(d)
    link.push(2_000_000)
    d.polls()
    rx1, tx1 = link.kernel()
    want_rx, want_tx = rx1 - rx0, tx1 - tx0
    assert wait_for(lambda: counted(tmp_path) == (want_rx, want_tx), 3), (counted(tmp_path), want_rx, want_tx)

    # Delete and re-create between two polls: the new interface's counters start near zero. Its
    # bytes are new; nothing of the old counter's value is a "wrap".
    link.delete()
    link.create()
    link.push(1_000_000)
    d.polls()
    d.wait_line("new counter")
    # Renamed while counting: the same counter, followed under its new name.
    link.rename("u0new")
    link.push(500_000)
    d.polls()
    d.wait_line("now named u0new")
    # kill -9 while traffic flows; it stays down while more flows; the restart counts the gap.
    pusher = threading.Thread(target=link.push, args=(4_000_000,))
    pusher.start()
    time.sleep(0.05)
    assert d.stop(signal.SIGKILL) == -signal.SIGKILL
    pusher.join()
    link.push(3_000_000)
    time.sleep(2)
    # Back 10 minutes later (the test clock): the whole gap is counted, spread over its hours.
    d2 = Daemon(link, reach, cfg, env={"REACH_USAGE_TEST_TIME_OFFSET": "600"})
    d2.wait_line("counting")
    link.push(700_000)
    d2.polls()
    assert d2.stop() == 0, d2.errors
    rx2, tx2 = link.kernel()  # the re-created interface's counters, from its creation
    assert counted(tmp_path) == (want_rx + rx2, want_tx + tx2)
    assert not [l for l in d.lines + d2.lines if "wrap" in l], d.lines + d2.lines


def hook_config(tmp_path):
    return config(tmp_path, cap="50MB", count="tx",
                  notify="      notify: [hook]",
                  extra='notifiers:\n  hook: { webhook: "http://127.0.0.1:9099/usage" }\n')


def fired(hook):
    out = []
    for m in received(hook):
        for a in m["body"]["alerts"]:
            if a["labels"].get("threshold") not in (None, "projected"):
                out.append((a["labels"]["threshold"], a["labels"]["plan"]))
    return out


def test_thresholds_fire_once_each_across_restarts_and_again_next_cycle(lab, reach, tmp_path):
    link = Link(lab)
    _, hook = receiver(link.c, tmp_path)
    cfg = hook_config(tmp_path)
    d = Daemon(link, reach, cfg)
    baseline(d)
    link.push(41_000_000)  # 82..85 % of 50 MB with the headers
    assert wait_for(lambda: fired(hook) == [("80", "lab")], 10), (received(hook), d.lines, d.errors)
    assert wait_for(lambda: outbox_pending(tmp_path) == 0, 10), d.lines
    assert d.stop(signal.SIGKILL) == -signal.SIGKILL
    d = Daemon(link, reach, cfg)  # a restart neither repeats 80 nor forgets it
    d.wait_line("counting")
    link.push(5_000_000)  # 92..95 %
    assert wait_for(lambda: fired(hook) == [("80", "lab"), ("90", "lab")], 10), (received(hook), d.lines)
    assert d.stop() == 0
    d = Daemon(link, reach, cfg)
    d.wait_line("counting")
    link.push(9_000_000)  # past 100 %
    assert wait_for(lambda: len(fired(hook)) == 3, 10), (received(hook), d.lines)
    link.push(1_000_000)
    d.polls(5)
    assert d.stop() == 0
    assert fired(hook) == [("80", "lab"), ("90", "lab"), ("100", "lab")]
    keys = [m["key"] for m in received(hook)]
    assert len(set(keys)) == len(keys), keys

    # 40 days later (the test clock): a new cycle with nothing used; 80 % fires again.
    d = Daemon(link, reach, cfg, env={"REACH_USAGE_TEST_TIME_OFFSET": str(40 * 86400)})
    d.wait_line("counting")
    link.push(41_000_000)
    assert wait_for(lambda: len(fired(hook)) == 4, 10), (fired(hook), [a["labels"] for m in received(hook) for a in m["body"]["alerts"]], d.lines, d.errors)
    d.polls(5)
    assert d.stop() == 0
    assert fired(hook)[3] == ("80", "lab")


def put(path, text):
    """Replaces the file at once, so the script never reads half of it."""
    tmp = path.with_suffix(".new")
    tmp.write_text(text)
    tmp.replace(path)


def test_an_mrtg_command_is_a_source_and_its_reset_is_not_a_wrap(lab, reach, tmp_path):
    host = lab.host("um")
    counters = tmp_path / "counters.txt"
    counters.write_text("100\n200\n1 day, 02:00:00\nrouter\n")
    cfg = tmp_path / "usage.yml"
    cfg.write_text(f"""db: {tmp_path / 'usage.db'}
usage:
  poll: {POLL}
  plans:
    - {{ name: cloud, mrtg: "cat {counters}", cap: 1GB }}
""")
    d = Daemon(types.SimpleNamespace(c=host), reach, cfg)
    d.wait_line("counting from rx=100 tx=200")
    put(counters, "1100\n2200\n1 day, 02:00:01\nrouter\n")
    assert wait_for(lambda: counted(tmp_path) == (1000, 2000), 10), counted(tmp_path)
    put(counters, "50\n60\n0 days, 00:00:01\nrouter\n")  # the script's source restarted
    assert wait_for(lambda: counted(tmp_path) == (1050, 2060), 10), counted(tmp_path)
    d.polls()
    assert d.stop() == 0, d.errors
    assert counted(tmp_path) == (1050, 2060)
    assert [l for l in d.lines if "counter reset" in l], d.lines


ON_CAP = r"""#!/bin/sh
env | grep '^REACH_USAGE_' | sort > "$1.$REACH_USAGE_CYCLE_END_UNIX"
"""


def test_on_cap_exec_runs_once_per_cycle_with_the_event_in_its_environment(lab, reach, tmp_path):
    """on_cap.exec was parsed and never run. It now runs once per cycle when the cap is reached
    (restarts do not repeat it), and again in the next cycle (the test clock)."""
    link = Link(lab)
    script = tmp_path / "on_cap.sh"
    script.write_text(ON_CAP)
    script.chmod(0o755)
    out = tmp_path / "ran"
    cfg = config(tmp_path, cap="5MB", count="tx", thresholds="[]",
                 extra=f'      on_cap: {{ exec: "{script} {out}" }}\n')
    d = Daemon(link, reach, cfg)
    baseline(d)
    link.push(4_000_000)
    d.polls(3)
    assert not list(tmp_path.glob("ran.*")), d.lines
    link.push(2_000_000)
    d.wait_line("on_cap.exec finished")
    ran = list(tmp_path.glob("ran.*"))
    assert len(ran) == 1, (ran, d.lines, d.errors)
    env = dict(l.split("=", 1) for l in ran[0].read_text().splitlines())
    assert env["REACH_USAGE_EVENT"] == "cap_reached" and env["REACH_USAGE_PLAN"] == "lab", env
    assert env["REACH_USAGE_CAP_BYTES"] == "5000000" and int(env["REACH_USAGE_USED_BYTES"]) >= 5_000_000, env
    assert env["REACH_USAGE_COUNT"] == "tx" and env["REACH_USAGE_CYCLE_START"].endswith("Z"), env
    ran[0].unlink()
    link.push(1_000_000)
    d.polls(3)
    assert d.stop(signal.SIGKILL) == -signal.SIGKILL
    d = Daemon(link, reach, cfg)  # a restart in the same cycle: not again
    d.wait_line("counting")
    link.push(1_000_000)
    d.polls(5)
    assert d.stop() == 0, d.errors
    assert not list(tmp_path.glob("ran.*")), d.lines
    r = link.c.run([str(reach), "usage", "--config", str(cfg)], timeout=20)
    assert "on_cap ran this cycle" in r.stdout, r.stdout
    # 40 days later: a new cycle, under the cap first, then over it: it runs once more.
    d = Daemon(link, reach, cfg, env={"REACH_USAGE_TEST_TIME_OFFSET": str(40 * 86400)})
    d.wait_line("counting")
    d.polls(3)
    assert not list(tmp_path.glob("ran.*")), d.lines
    link.push(6_000_000)
    d.wait_line("on_cap.exec finished")
    d.polls(3)
    assert d.stop() == 0, d.errors
    ran = list(tmp_path.glob("ran.*"))
    assert len(ran) == 1 and [l for l in d.lines if "running on_cap.exec" in l].__len__() == 1, (ran, d.lines)


def test_the_report_names_the_sources_own_problem(lab, reach, tmp_path):
    """The report said 'is the daemon running?' for a source the running daemon could not read;
    it now says why (the daemon writes the problem), and asks about the daemon only when nothing
    recent was written."""
    link = Link(lab)
    cfg = config(tmp_path, extra="""    - name: gone
      interfaces: [eth9]
      cap: 1GB
""")
    d = Daemon(link, reach, cfg)
    d.wait_line("no interface named eth9")
    d.polls(2)
    r = link.c.run([str(reach), "usage", "--config", str(cfg)], timeout=20)
    assert "eth9: rx 0 B, tx 0 B (no interface named eth9)\n" in r.stdout, r.stdout
    assert "daemon running" not in r.stdout, r.stdout
    assert d.stop() == 0, d.errors
    # Stopped: the report cannot know the problem is still there, and says both.
    r = link.c.run(["env", "REACH_USAGE_TEST_TIME_OFFSET=60", str(reach), "usage", "--config", str(cfg)], timeout=20)
    assert "last problem: no interface named eth9 (is reach usage --daemon running?)" in r.stdout, r.stdout


def test_bad_input_is_one_line_exit_2_and_creates_no_file(reach, tmp_path):
    """An unknown time zone used to create the database (and its lock) before exit 2."""
    def run(cfg_text, *args):
        cfg = tmp_path / "c.yml"
        cfg.write_text(cfg_text)
        before = sorted(p.name for p in tmp_path.iterdir())
        r = subprocess.run([str(reach), "usage", "--config", str(cfg), *args], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1, r
        assert sorted(p.name for p in tmp_path.iterdir()) == before, r
        return r.stderr

    good = f"db: {tmp_path}/u.db\nusage:\n  plans:\n    - name: m\n      interfaces: lo\n      cap: 1GB\n"
    err = run(good.replace("cap: 1GB", "cap: 1GB\n      cycle: { tz: Mars/Olympus_Mons }"), "--daemon")
    assert err.endswith("c.yml:7: usage.plans[0].cycle.tz: no time zone 'Mars/Olympus_Mons' on this system (tzdata)\n")
    assert "no time zone" in run(good.replace("cap: 1GB", "cap: 1GB\n      cycle: { tz: Mars/Olympus_Mons }")), err
    assert "--db: must name a file" in run(good, "--daemon", "--db", "")
    assert "--bogus" in run(good, "--daemon", "--bogus")
    assert "no notifier 'pager'" in run(good + "      notify: [pager]\n", "--daemon")
    mail = good + "      notify: [m]\nnotifiers:\n  m: { smtp: \"smtp://127.0.0.1:25\", from: a@b.c, to: [d@e.f], " \
        f"username: u, password_file: {tmp_path}/nope }}\n"
    assert "nope" in run(mail, "--daemon")
    (tmp_path / "unreadable.yml").mkdir()
    r = subprocess.run([str(reach), "usage", "--config", str(tmp_path / "unreadable.yml"), "--daemon"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "directory" in r.stderr, r
    assert not (tmp_path / "u.db").exists()
    # No database yet: the report says how counting starts.
    r = subprocess.run([str(reach), "usage", "--config", str(tmp_path / "c.yml")], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and "start the daemon with reach usage --config" in r.stderr, r


def test_validate_prints_every_error_with_its_line_and_creates_nothing(reach, tmp_path):
    """reach usage had no --validate (watch, relay and guard have one): a config was only checked
    by starting the daemon, which stopped at the first of its problems."""
    cfg = tmp_path / "c.yml"
    cfg.write_text("usage:\n  plans:\n    - name: a\n      interfaces: lo\n      cap: 1GB\n"
                   "      cycle: { tz: Mars/Olympus_Mons }\n    - name: b\n      interfaces: lo\n      cap: 1GB\n"
                   "      cycle:\n        tz: Venus/Maxwell\n")
    r = subprocess.run([str(reach), "usage", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr.splitlines() == [
        f"reach usage: {cfg}: the counts live in a database: set `db:` (e.g. /var/lib/reach/usage/usage.db) or give --db",
        f"{cfg}:6: usage.plans[0].cycle.tz: no time zone 'Mars/Olympus_Mons' on this system (tzdata)",
        f"{cfg}:11: usage.plans[1].cycle.tz: no time zone 'Venus/Maxwell' on this system (tzdata)"], r.stderr
    cfg.write_text("usage:\n  plans:\n    - name: a\n      interfaces: lo\n      cap: 0\n      warn_at: 200%\n")
    r = subprocess.run([str(reach), "usage", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 2, r
    assert all(line.startswith(f"{cfg}:") for line in r.stderr.splitlines()), r.stderr
    cfg.write_text(f"db: {tmp_path}/u.db\nusage:\n  plans:\n    - name: a\n      interfaces: lo\n      cap: 1GB\n")
    r = subprocess.run([str(reach), "usage", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0 and r.stdout == f"reach usage: {cfg}: ok\n" and r.stderr == "", r
    assert not (tmp_path / "u.db").exists()
    r = subprocess.run([str(reach), "usage", "--config", str(cfg), "--validate", "--daemon"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 2 and "excludes" in r.stderr, r


def test_bytes_after_the_last_poll_of_a_deleted_link_are_counted(lab, reach, tmp_path):
    """Polling alone lost what crossed a link between its last poll and its deletion (a PPPoE or
    WWAN reconnect). The daemon listens to rtnetlink's link events: RTM_DELLINK carries the
    link's last counters, which are counted before it goes. The link is a macvlan on the veth:
    like a PPP or WWAN device it keeps its own counters both ways (a veth's received bytes are
    its peer's sent ones, and the kernel detaches the peer before it reports the deletion)."""
    link = Link(lab)
    link.c.ip("addr", "flush", "dev", "u0")
    link.c.ip("link", "add", "m0", "link", "u0", "type", "macvlan", "mode", "bridge")
    link.c.sysctl("net.ipv6.conf.m0.disable_ipv6", 1)
    link.c.ip("addr", "add", f"{link.c4}/24", "dev", "m0")
    link.c.ip("link", "set", "m0", "up")
    link.name = "m0"
    cfg = config(tmp_path)
    cfg.write_text(cfg.read_text().replace(f"poll: {POLL}", "poll: 1h").replace("[u0]", "[m0]"))  # one poll only
    d = Daemon(link, reach, cfg)
    rx0, tx0 = baseline(d)
    link.push(3_000_000)
    rx1, tx1 = link.kernel()
    assert rx1 - rx0 > 1000
    link.delete()
    d.wait_line("deleted; its last counters")
    assert d.stop() == 0, d.errors
    assert counted(tmp_path) == (rx1 - rx0, tx1 - tx0), (d.lines, d.errors)
    assert not [l for l in d.lines if "wrap" in l or "new counter" in l or "reset" in l], d.lines


def test_vnstat_side_by_side_counts_what_reach_counts_on_a_clean_link(lab, reach, tmp_path):
    """Issue 12's comparison: Debian's vnstatd on the same link at the same time. With nothing
    but traffic happening both equal the kernel's counter deltas (the faults where vnStat goes
    wrong are in bench/usage_bench.py and docs/BENCHMARKS.md)."""
    link = Link(lab)
    vdir = tmp_path / "vnstat"
    vdir.mkdir()
    vcfg = tmp_path / "vnstat.conf"
    vcfg.write_text(f'DatabaseDir "{vdir}"\nUseLogging 0\nAlwaysAddNewInterfaces 1\nTimeSyncWait 0\n'
                    'PollInterval 2\nUpdateInterval 2\n')
    vn = link.c.popen(["vnstatd", "-n", "--config", str(vcfg)], text=True)
    # vnstatd adds u0 at its start, from the counters it reads then.
    assert wait_for(lambda: link.c.run(["vnstat", "--config", str(vcfg), "-i", "u0", "--json"], check=False,
                                       timeout=10).returncode == 0, 30)
    d = Daemon(link, reach, config(tmp_path))
    rx0, tx0 = baseline(d)
    link.push(5_000_000)
    d.polls()
    assert d.stop() == 0, d.errors
    rx1, tx1 = link.kernel()
    time.sleep(6)  # vnstatd reads the counters every PollInterval, writes on SIGTERM
    vn.send_signal(signal.SIGTERM)
    vn.wait(timeout=30)
    total = [i for i in json.loads(link.c.run(["vnstat", "--config", str(vcfg), "--json"], timeout=10).stdout)
             ["interfaces"] if i["name"] == "u0"][0]["traffic"]["total"]
    assert counted(tmp_path) == (rx1 - rx0, tx1 - tx0)
    # vnstatd's baseline was read before reach's: it may hold a few bytes more (ARP), not less.
    assert total["tx"] >= tx1 - tx0 and total["tx"] - (tx1 - tx0) < 1000, (total, tx1 - tx0)
    assert total["rx"] >= rx1 - rx0 and total["rx"] - (rx1 - rx0) < 1000, (total, rx1 - rx0)


PROBE = r"""
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    c.sendall(b"x" * 1000); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
    print("open")
except OSError as e:
    print("closed", e)
"""


def probe(link, port, timeout=2.0):
    """'open' when a TCP connection client -> server:port carries 1000 bytes, else 'closed'."""
    r = link.c.run([lablib.python_bin(), "-c", PROBE, link.s4, str(port), str(timeout)], timeout=timeout + 10)
    return r.stdout.split()[0]


def block_set(link):
    """[(ifname, timeout s, expires s)] of the usage block set in the client namespace."""
    r = link.c.run(["nft", "-j", "list", "set", "inet", "reach", "usage_block"], timeout=10)
    out = []
    for item in json.loads(r.stdout)["nftables"]:
        for e in item.get("set", {}).get("elem", []):
            el = e["elem"] if isinstance(e, dict) else {"val": e}
            out.append((el["val"], el.get("timeout", 0), el.get("expires", 0)))
    return out


def test_on_cap_block_drops_all_but_the_allowed_until_the_cycle_ends_or_unblock(lab, reach, tmp_path):
    """on_cap.block was refused. At the cap the plan's interface now goes into the nftables set
    of the client's namespace with a timeout of the time left in the cycle: a port outside the
    allow list is dropped, an allowed one still passes; --unblock lifts it (the once-per-cycle
    state stays: the daemon does not block again this cycle)."""
    import datetime
    link = Link(lab)
    sink2 = link.s.popen([lablib.python_bin(), "-c", SINK, link.s4, "5002"], text=True, bufsize=1)
    assert sink2.stdout.readline().strip() == "ready"
    cfg = config(tmp_path, cap="2MB", count="tx", thresholds="[]",
                 extra='      on_cap: { block: true, allow: ["tcp/5002", "udp/53"] }\n')
    # Before any block: --unblock is no error and creates nothing in the namespace's ruleset.
    r = link.c.run([str(reach), "usage", "--config", str(cfg), "--unblock", "lab"], timeout=20, check=False)
    assert r.returncode == 0 and "plan lab: nothing blocked (u0 not in the set)" in r.stdout, (r.stdout, r.stderr)
    assert "reach" not in link.c.run(["nft", "list", "tables"], timeout=10).stdout
    d = Daemon(link, reach, cfg)
    baseline(d)
    assert probe(link, 5001) == "open" and probe(link, 5002) == "open"
    assert link.sink.stdout.readline() and sink2.stdout.readline()
    link.push(3_000_000)
    d.wait_line("usage: plan lab: blocked u0 until")
    now = datetime.datetime.now(datetime.timezone.utc)
    end = datetime.datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=datetime.timezone.utc)
    want = (end - now).total_seconds()
    elems = block_set(link)
    assert len(elems) == 1 and elems[0][0] == "u0", elems
    assert abs(elems[0][1] - want) < 120 and 0 < elems[0][2] <= elems[0][1], (elems, want)
    assert probe(link, 5001) == "closed", "a port outside the allow list still passes"
    assert probe(link, 5002) == "open", "an allowed port is dropped"
    assert sink2.stdout.readline()
    r = link.c.run([str(reach), "usage", "--config", str(cfg), "--unblock", "lab"], timeout=20, check=False)
    assert r.returncode == 0 and "unblocked u0" in r.stdout, (r.stdout, r.stderr)
    assert block_set(link) == []
    r = link.c.run([str(reach), "usage", "--config", str(cfg), "--unblock", "lab"], timeout=20, check=False)
    assert r.returncode == 0 and "nothing blocked" in r.stdout, (r.stdout, r.stderr)
    assert probe(link, 5001) == "open" and link.sink.stdout.readline()
    link.push(1_000_000)  # well past the cap: no second block this cycle
    d.polls(5)
    assert block_set(link) == [] and len([l for l in d.lines if "blocked u0" in l]) == 1, d.lines
    assert d.stop() == 0, d.errors
    r = link.c.run([str(reach), "usage", "--config", str(cfg), "--unblock", "nope"], timeout=20, check=False)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no plan 'nope'" in r.stderr, r.stderr
    sink2.kill()
