"""reach guard reading reach relay's events (issue 15, "events from reach relay"), in a lab: a
client namespace owning 198.19.5.0/24 (a local route), a relay namespace running a real `reach
relay --json` with a tight per-address rate (2 new connections/s, burst 2, its own bans off and
no black-hole, so any kernel ban is guard's) whose NDJSON goes to a file, exactly as an operator
runs `reach relay --json >> /var/log/reach/relay.ndjson`, and a real `reach guard` in the same
namespace following that file with the built-in `relay` rule.

A client exceeding the limit from one address is banned in guard's nftables set (ban4) and its
connections are dropped from then on; a client doing the same from an allow-listed address is
never banned; hostile lines written to the file first (not JSON, a forged event naming a third
address in another field and in a second "client" key) ban nobody, and `reach guard --test-rule
relay FILE` reports them as refused. guard runs in a lab namespace only: the root namespace's
ruleset is compared before and after."""

import json
import os
import subprocess
import time

import pytest

import lab as lablib
from guard_lab import JOURNAL_REMOTE, banned, connects, ruleset, start_guard, stop, to_journal, wait_for

PORT = 8080
BACKEND_PORT = 9000
ATTACKER = "198.19.5.9"
ALLOWED = "198.19.5.7"
FORGED = "198.19.5.66"

CONNECTS = """
import socket, sys, time
src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ok = refused = other = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(b"x\\n")
        ok += 1 if s.recv(16) else 0
    except ConnectionResetError:
        refused += 1
    except OSError:
        other += 1
    finally:
        s.close()
print(ok, refused, other)
"""


@pytest.fixture(autouse=True)
def root_ruleset_untouched(lab):
    before = ruleset()
    yield
    assert ruleset() == before, "the root namespace's ruleset changed"


def burst(host, src, dst, n):
    r = host.run([lablib.python_bin(), "-c", CONNECTS, src, dst, str(PORT), str(n)], timeout=60)
    return [int(x) for x in r.stdout.split()]


class RelayLab:
    """client (owning 198.19.5.0/24) -- relay (reach relay --json >> relay.ndjson) -- backend (echo)."""

    def __init__(self, lab, reach, tmp_path):
        self.client, self.relay, backend = lab.host("client"), lab.host("relay"), lab.host("backend")
        lab.link(self.client, self.relay)
        lab.link(self.relay, backend)
        lab.route_all()
        lab.local_addresses(self.client, "198.19.5.0/24")
        self.relay4 = self.relay.link_to(self.client).addr4(self.relay)
        backend4 = backend.link_to(self.relay).addr4(backend)
        self.echo = backend.popen([lablib.python_bin(), str(lablib.listener_script()), "--tcp", str(BACKEND_PORT),
                                   "--bind", "0.0.0.0", "--mode", "echo", "--max-conns", "10000",
                                   "--max-seconds", "300"])
        assert self.echo.stdout.readline().strip() == "ready"
        rcfg = tmp_path / "relay.yaml"
        rcfg.write_text(f"""relay:
  listen: "0.0.0.0:{PORT}"
  backends: [ "{backend4}:{BACKEND_PORT}" ]
  health: false
  limits:
    ipv4: {{ prefix: 32, conns: 64, rate: 2, burst: 2 }}
    ban: off
    blackhole: false
""")
        self.events = tmp_path / "relay.ndjson"
        self.events.touch()
        with open(self.events, "a") as f:  # `reach relay --json >> relay.ndjson`
            self.proc = self.relay.popen([str(reach), "relay", "--config", str(rcfg), "--json"], stdout=f,
                                         text=False)
        assert wait_for(lambda: self.relay.run(["ss", "-Htln", f"sport = :{PORT}"], check=False).stdout.strip()
                        or self.proc.poll() is not None, 30)
        assert self.proc.poll() is None, self.events.read_text()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.echo.kill()


def guard_yml(tmp_path, source):
    gcfg = tmp_path / "guard.yml"
    gcfg.write_text(f"""guard:
  sources: [ {source} ]
  threshold: {{ failures: 5, window: 10m }}
  ban: {{ time: 1h }}
  allow: [ "{ALLOWED}/32" ]
  allow_ssh_client: false
  state: {tmp_path / 'guard.db'}
""")
    return gcfg


def test_relay_limit_hits_get_the_client_banned_by_guard(lab, reach, tmp_path):
    t = RelayLab(lab, reach, tmp_path)
    client, relay, relay4, events = t.client, t.relay, t.relay4, t.events
    gcfg = guard_yml(tmp_path, f"{{ file: {events}, rules: [relay] }}")
    gout = tmp_path / "guard.out"
    guard = start_guard(relay, reach, gcfg, gout, "--listen", "127.0.0.1:9799")
    try:
        # Hostile lines (guard reads what is appended after it started): not JSON, a relay_limit
        # event inside another event's text, one with a second "client" key. O_APPEND lines of
        # this size land whole between the relay's own.
        with open(events, "a") as f:
            f.write("not json at all \x1b[31m\n"
                    + json.dumps({"type": "relay_backend", "version": 1,
                                  "message": json.dumps({"type": "relay_limit", "version": 1, "client": FORGED,
                                                         "reason": "per_prefix_rate", "count": 50})}) + "\n"
                    + f'{{"type":"relay_limit","version":1,"client":"{ATTACKER}","client":"{FORGED}",'
                      f'"reason":"per_prefix_rate","count":50}}\n')
        page = ""

        def refused_counted():
            nonlocal page
            page = relay.run(["curl", "-s", "-m", "5", "http://127.0.0.1:9799/metrics"], check=False).stdout
            return f'reach_guard_lines_unparsed_total{{source="file:{events}"}} 2' in page

        assert wait_for(refused_counted, 30), page
        assert not banned(relay)

        # The allowed client first: over its limit, reported by the relay, never banned.
        # 2 connections/s (burst 2): 20 quick attempts are refused >= 5 times even on a slow machine.
        ok, refused, _ = burst(client, ALLOWED, relay4, 20)
        assert ok >= 2 and refused >= 5, (ok, refused)
        assert wait_for(lambda: f'"client":"{ALLOWED}"' in events.read_text(), 30), events.read_text()

        # Once guard's ban is in, the rest of the attempts time out (dropped): not counted here.
        ok, refused, _ = burst(client, ATTACKER, relay4, 12)
        assert ok >= 2 and refused >= 5, (ok, refused)
        assert wait_for(lambda: f"{ATTACKER}/32" in banned(relay), 60), (gout.read_text(), events.read_text())
        # Banned in the kernel: the attacker's packets are dropped before the relay sees them.
        assert not connects(client, ATTACKER, relay4, port=PORT, timeout=1.0)
        assert connects(client, ALLOWED, relay4, port=PORT, timeout=2.0)
        time.sleep(0.5)  # a tick of the relay and a turn of guard: any late event is in
        got = banned(relay)
        assert got == {f"{ATTACKER}/32"}, got

        # The relay's own lines (its keys come sorted, so "client" first), not the hostile ones above.
        limits = [json.loads(l) for l in events.read_text().splitlines()
                  if l.startswith('{"client"') and '"type":"relay_limit"' in l]
        assert {e["client"] for e in limits} == {ALLOWED, ATTACKER}, limits
        assert all(e["reason"] == "per_prefix_rate" and e["count"] >= 1 for e in limits)
    finally:
        assert stop(relay, guard) == 0, gout.read_text()
        t.stop()

    # --test-rule with the built-in rule on the same file: both clients, the hostile lines refused.
    r = relay.run([str(reach), "guard", "--test-rule", "relay", str(events), "--json"], timeout=30)
    out = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    summary = [o for o in out if o["type"] == "summary"][-1]
    matches = [o for o in out if o["type"] == "match"]
    assert summary["unparsed"] == 2, r.stdout
    assert {m["addr"] for m in matches} == {ALLOWED, ATTACKER}, r.stdout
    assert summary["matched"] == len(matches) >= 2
    text = relay.run([str(reach), "guard", "--test-rule", "relay", str(events)], timeout=30).stdout
    assert "2 refused by the relay rule" in text, text


@pytest.mark.skipif(not os.access(JOURNAL_REMOTE, os.X_OK), reason="needs systemd-journal-remote")
def test_relay_events_in_the_journal_of_its_unit(lab, reach, tmp_path):
    """{ journal: reach-relay.service, rules: [relay] }: the relay's real events, stored as the
    journal stores the unit's stdout; a forged event in another unit's journal is not read."""
    t = RelayLab(lab, reach, tmp_path)
    jdir = tmp_path / "journal"
    jdir.mkdir()
    gcfg = guard_yml(tmp_path, "{ journal: reach-relay.service, rules: [relay] }")
    gout = tmp_path / "guard.out"
    guard = start_guard(t.relay, reach, gcfg, gout, env={"REACH_GUARD_JOURNAL_DIR": str(jdir)})
    try:
        assert "/libsystemd.so" in open(f"/proc/{guard.pid}/maps").read()  # loaded for its journal source
        ok, refused, _ = burst(t.client, ATTACKER, t.relay4, 12)
        assert refused >= 5, (ok, refused)
        assert wait_for(lambda: f'"client":"{ATTACKER}"' in t.events.read_text(), 30), t.events.read_text()
        forged = json.dumps({"type": "relay_limit", "version": 1, "client": FORGED, "reason": "per_prefix_rate",
                             "count": 50})
        to_journal([forged], "ssh.service", jdir / "other.journal")
        to_journal(t.events.read_text().splitlines(), "reach-relay.service", jdir / "relay.journal")
        assert wait_for(lambda: f"{ATTACKER}/32" in banned(t.relay), 60), gout.read_text()
        time.sleep(0.5)
        assert banned(t.relay) == {f"{ATTACKER}/32"}
        assert not connects(t.client, ATTACKER, t.relay4, port=PORT, timeout=1.0)
    finally:
        assert stop(t.relay, guard) == 0, gout.read_text()
        t.stop()
