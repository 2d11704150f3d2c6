"""reach watch's targets: names (docs/WATCH.md, "Names": a resolver that never answers holds
only the target whose name it should resolve, a name that does not resolve fails its rounds with
the reason and comes back once it resolves, and on the command line such a name is one line and
exit 2) and the syn:// and udp:// forms of the command line. `ip netns exec` bind-mounts /etc/netns/<ns>/{hosts,resolv.conf}, so DNS never leaves the
lab: the resolver is the lab's server (which drops DNS) or the namespace's own loopback (nothing
listens). Needs root (skips otherwise)."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

TIMEOUT = 60


@pytest.fixture
def netns_etc():
    made = []

    def make(host, resolv, hosts=""):
        etc = Path("/etc/netns") / host.ns
        etc.mkdir(parents=True, exist_ok=False)
        made.append(etc)
        (etc / "resolv.conf").write_text(resolv)
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n{hosts}")
        return etc

    yield make
    for etc in made:
        shutil.rmtree(etc, ignore_errors=True)


def rounds(path):
    out = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        e = json.loads(line)
        if e.get("type") == "round":
            out.setdefault(e["target"], []).append(e)
    return out


def run_daemon(lab, host, reach, tmp_path, targets, seconds):
    cfg = tmp_path / "watch.yml"
    cfg.write_text("defaults: { interval: 1s, timeout: 1s }\ntargets:\n" +
                   "".join(f"  - {{ name: {n}, probe: icmp, host: {h} }}\n" for n, h in targets))
    events = tmp_path / "events.jsonl"
    proc = host.popen([str(reach), "watch", "--config", str(cfg), "--events", str(events)])
    # t0 is the daemon's first round, not the start of the process: an ASan build on a busy
    # machine takes seconds to start, which is not what these tests measure.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not rounds(events):
        time.sleep(0.05)
    first = rounds(events)
    assert first, "no round within 30 s of the start"
    t0 = min(r["time"] for rs in first.values() for r in rs)
    time.sleep(seconds)
    rc = lab.stop(proc)
    assert rc == 0, (rc, proc.stderr.read())
    return t0, rounds(events)


def test_a_silent_resolver_holds_only_its_own_target(lab, reach, tmp_path, netns_etc):
    p = lab.pair()
    p.server.nft("table inet dns { chain input { type filter hook input priority 0; udp dport 53 drop; "
                 "tcp dport 53 drop; }; }")
    netns_etc(p.client, f"nameserver {p.server4}\n", f"{p.server4} web.lab\n")
    t0, got = run_daemon(lab, p.client, reach, tmp_path,
                         [("bad", "nosuch.invalid"), ("good", p.server4), ("named", "web.lab")], 6.5)
    # The address and the hosts-file name: a round every second from the start, each answered.
    for name in ("good", "named"):
        rs = got.get(name, [])
        assert len(rs) >= 5, (name, rs)
        assert all(r["success"] and r["addr"] == p.server4 for r in rs), rs
        assert rs[0]["time"] - t0 < 1.5, (name, rs[0]["time"] - t0)
        gaps = [b["time"] - a["time"] for a, b in zip(rs, rs[1:])]
        assert max(gaps) < 1.25 and min(gaps) > 0.75, (name, gaps)
    # The name: every round fails at its timeout, saying why, while c-ares keeps asking.
    bad = got.get("bad", [])
    assert len(bad) >= 4, bad
    for r in bad:
        assert not r["success"] and r["sent"] == 0, r
        assert r["reason"] == "resolve nosuch.invalid: no answer from the resolver within 1000 ms (still asking)", r
        assert 0.9 < r["duration_ms"] / 1000 < 1.3, r


def test_a_name_that_does_not_resolve_fails_with_the_reason_and_comes_back(lab, reach, tmp_path, netns_etc):
    p = lab.pair()
    etc = netns_etc(p.client, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    cfg = tmp_path / "watch.yml"
    cfg.write_text(f"defaults: {{ interval: 1s, timeout: 1s }}\ntargets:\n"
                   f"  - {{ name: late, probe: icmp, host: late.lab }}\n"
                   f"  - {{ name: good, probe: icmp, host: {p.server4} }}\n")
    events = tmp_path / "events.jsonl"
    proc = p.client.popen([str(reach), "watch", "--config", str(cfg), "--events", str(events)])
    try:
        deadline = time.monotonic() + 30  # both targets' first rounds (the start may be slow)
        early = {}
        while time.monotonic() < deadline and not (early.get("late") and early.get("good")):
            time.sleep(0.1)
            early = rounds(events)
        assert early.get("late") and all(not r["success"] for r in early["late"]), early
        assert all(r["reason"].startswith("resolve late.lab: ") for r in early["late"]), early["late"]
        assert early.get("good") and all(r["success"] for r in early["good"]), early
        # The name appears (same file, so the bind mount sees it): it is asked again within 10 s.
        with open(etc / "hosts", "a") as f:
            f.write(f"{p.server4} late.lab\n")
        t_added = time.time()
        end = time.monotonic() + 14
        ok = []
        while time.monotonic() < end and not ok:
            time.sleep(0.5)
            ok = [r for r in rounds(events).get("late", []) if r["success"]]
        assert ok, rounds(events).get("late")
        assert ok[0]["addr"] == p.server4 and ok[0]["time"] - t_added < 12, ok[0]
    finally:
        assert lab.stop(proc) == 0


def test_on_the_command_line_a_name_that_does_not_resolve_is_one_line_and_exit_2(lab, reach, netns_etc):
    p = lab.pair()
    netns_etc(p.client, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    r = p.client.run([str(reach), "watch", "--once", p.server4, "nosuch.invalid"], check=False, timeout=TIMEOUT)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("reach watch: resolve nosuch.invalid: "), r.stderr


# ------------------------------------------------------------------------ syn:// and udp://

def test_syn_and_udp_targets_from_the_command_line(lab, reach):
    p = lab.pair()
    p.server.listen(tcp=[8080], udp=[9999])
    r = p.client.run([str(reach), "watch", "--once", "--no-live", "-i", "2s", "-W", "2s", f"syn://{p.server4}:8080",
                      f"syn://[{p.server6}]:8081", f"udp://{p.server4}:9999", f"udp://[{p.server6}]:9998"],
                     check=False, timeout=TIMEOUT)
    assert r.returncode == 1, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l and not l.startswith(("---", "TARGET", " "))}
    assert lines[f"{p.server4}:8080"].startswith(f"{p.server4}:8080 syn up 1/1 rtt="), r.stdout
    # IPv6 targets are named with brackets ([V6]:PORT, docs/WATCH.md).
    assert lines[f"[{p.server6}]:8081"] == f"[{p.server6}]:8081 syn down 0/1 (connection refused (RST))", r.stdout
    assert lines[f"{p.server4}:9999"].startswith(f"{p.server4}:9999 udp up 1/1 rtt="), r.stdout
    assert lines[f"[{p.server6}]:9998"].startswith(f"[{p.server6}]:9998 udp down 0/1 (port"), r.stdout
    assert f"from {p.server6}" in lines[f"[{p.server6}]:9998"], r.stdout


@pytest.mark.parametrize("target,want", [
    ("syn://198.18.0.2", "reach watch: target syn://198.18.0.2: want syn://HOST:PORT"),
    ("udp://198.18.0.2:0", "reach watch: target udp://198.18.0.2:0: want udp://HOST:PORT"),
    ("udp://[2001:db8::2]", "reach watch: target udp://[2001:db8::2]: want udp://HOST:PORT"),
    ("syn://198.18.0.2:99999", "reach watch: target syn://198.18.0.2:99999: want syn://HOST:PORT"),
    ("sctp://198.18.0.2:80", "reach watch: target sctp://198.18.0.2:80: unknown scheme"),
])
def test_bad_syn_and_udp_targets_are_one_line_and_exit_2(lab, reach, target, want):
    p = lab.pair()
    r = p.client.run([str(reach), "watch", "--once", target], check=False, timeout=TIMEOUT)
    assert r.returncode == 2 and r.stdout == "", (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(want), r.stderr


# ------------------------------------------------------------------------ --netns

def test_netns_is_entered_and_named_in_every_event(lab, reach):
    """The root namespace has no link to the lab: reach enters the client's namespace itself
    (no `ip netns exec`), and every --events object names it."""
    p = lab.pair()
    p.server.listen(tcp=[8080])
    ns = p.client.ns

    def run(*args):
        return subprocess.run([str(reach), "watch", *args], capture_output=True, text=True, timeout=TIMEOUT)

    r = run("--netns", ns, "--once", "--events", "-", p.server4, f"tcp://{p.server4}:8080")
    assert r.returncode == 0, r.stderr
    assert f"reach watch: probing from network namespace {ns} (/run/netns/{ns})" in r.stderr
    evs = [json.loads(l) for l in r.stdout.splitlines()]
    assert sum(e["type"] == "round" and e["success"] for e in evs) == 2, evs
    assert all(e["netns"] == ns for e in evs), evs
    sleeper = p.client.popen(["sleep", "30"])
    try:
        r = run("--netns-pid", str(sleeper.pid), "--once", "--events", "-", p.server4)
        assert r.returncode == 0, r.stderr
        evs = [json.loads(l) for l in r.stdout.splitlines()]
        assert evs and all(e["netns"] == f"pid:{sleeper.pid}" for e in evs), evs
    finally:
        lab.stop(sleeper)
    r = p.client.run([str(reach), "watch", "--once", "--events", "-", p.server4], check=False, timeout=TIMEOUT)
    assert r.returncode == 0 and all("netns" not in json.loads(l) for l in r.stdout.splitlines()), r.stdout
    r = run("--netns", "no-such-ns", "--once", p.server4)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no-such-ns" in r.stderr, r.stderr
