"""The snmp probe kind of `reach watch` (issue 13) against Debian's snmpd in a namespace.

Topology: client <-> server (lab.pair). snmpd runs in `server` with community `public` and the v3
user reachv3 (SHA-256/AES, authPriv) of test_usage_sources.py; reach watch runs in `client`.

Checked: v2c and v3 authPriv targets are up with the right credentials, with the values in
/metrics and the API, a MIB name resolved from $MIBDIRS; a wrong community is down with its own
reason within the timeout (an agent drops it without answering) while the API keeps answering;
a wrong v3 pass phrase is down with net-snmp's authentication error; a counter turned into a
rate crosses its `max` under traffic and fires the alert to a webhook receiver; --validate
names the line of a bad OID, an unknown MIB name and a v3 map without keys.
Needs root (skips otherwise)."""

import json
import subprocess
import time

import pytest

import lab as lablib
from test_usage_sources import Snmpd, need_snmpd
from watch_lab import http_get, receiver, received, wait_for

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
LAB_MIB = """REACH-LAB-MIB DEFINITIONS ::= BEGIN
labSystem OBJECT IDENTIFIER ::= { iso 3 6 1 2 1 1 }
labUpTime OBJECT IDENTIFIER ::= { labSystem 3 }
END
"""
V3 = {"version": 3, "user": "reachv3", "auth_protocol": "SHA-256", "auth_password": "auth-pass-123",
      "priv_protocol": "AES", "priv_password": "priv-pass-123"}


def write_config(tmp_path, targets, failures=3):
    cfg = tmp_path / "watch.yml"
    rows = "\n".join("  - " + json.dumps(t) for t in targets)
    cfg.write_text(f"""listen: "127.0.0.1:9798"
db: {tmp_path / 'watch.db'}
defaults: {{ interval: 1s, timeout: 500ms }}
targets:
{rows}
alerts:
  - {{ name: snmp, failures: {failures}, successes: 2, notify: [hook] }}
notifiers:
  hook: {{ webhook: "http://127.0.0.1:9099/alert" }}
""")
    return cfg


def start(host, reach, cfg, events, mibs):
    proc = host.popen(["env", f"MIBDIRS={mibs}", str(reach), "watch", "--config", str(cfg), "--events", str(events)],
                      stdout=subprocess.DEVNULL, text=True)
    ok = wait_for(lambda: http_get(host, "http://127.0.0.1:9798/-/healthy", 2)[0] == 200, 30)
    assert ok, f"reach watch did not start: {proc.poll()}"
    return proc


def targets(host):
    code, body = http_get(host, "http://127.0.0.1:9798/api/v1/targets")
    assert code == 200, body
    return {t["name"]: t for t in json.loads(body)["targets"]}


@pytest.fixture
def snmp_pair(lab, tmp_path):
    need_snmpd()
    p = lab.pair()
    snmpd = Snmpd(lab, p.server, p.server4)
    snmpd.start()
    mibs = tmp_path / "mibs"
    mibs.mkdir()
    (mibs / "REACH-LAB-MIB.txt").write_text(LAB_MIB)
    # snmpd answers once it has bound its port (a few hundred ms).
    ready = wait_for(lambda: p.client.run(["snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0", p.server4,
                                           SYS_UPTIME], check=False, timeout=5).returncode == 0, 15, step=0.2)
    assert ready, "snmpd did not answer"
    yield lab, p, mibs
    snmpd.stop()


def test_one_user_with_a_right_and_a_wrong_pass_phrase_never_mixes_keys(lab, reach, tmp_path):
    """net-snmp signs every v3 request of a user and engine with the keys of whichever session
    put that user in its process-wide table first. Probed side by side on watch's workers, a
    target with a wrong pass phrase came up now and then (a CI run saw it up in its last round)
    and could have taken a right one down. Each request now signs with its own session's keys.
    A 20 ms link (each session then lasts a few round trips) makes the sessions overlap."""
    need_snmpd()
    p = lab.pair(delay_ms=20)
    snmpd = Snmpd(lab, p.server, p.server4)
    snmpd.start()
    mibs = tmp_path / "mibs"
    mibs.mkdir()
    host = p.server4
    assert wait_for(lambda: p.client.run(["snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0", host, SYS_UPTIME],
                                         check=False, timeout=5).returncode == 0, 15, step=0.2), "snmpd did not answer"
    right = [{"name": f"right{i}", "probe": "snmp", "host": host, "snmp": V3, "oids": [SYS_UPTIME],
              "interval": "500ms", "timeout": "400ms"} for i in range(3)]
    wrong = [{"name": f"wrong{i}", "probe": "snmp", "host": host, "snmp": dict(V3, auth_password=f"wrong-pass-{i}"),
              "oids": [SYS_UPTIME], "interval": "500ms", "timeout": "400ms"} for i in range(3)]
    cfg = write_config(tmp_path, right + wrong)
    events = tmp_path / "events.jsonl"
    proc = start(p.client, reach, cfg, events, mibs)
    try:
        def rounds():
            out = {}
            for line in events.read_text().splitlines() if events.exists() else []:
                e = json.loads(line)
                if e.get("type") == "round":
                    out.setdefault(e["target"], []).append(e["success"])
            return out
        assert wait_for(lambda: all(len(rounds().get(t["name"], [])) >= 10 for t in right + wrong), 40, step=0.5), rounds()
    finally:
        lab.stop(proc)
        snmpd.stop()
    seen = rounds()
    for t in right:
        assert all(seen[t["name"]]), (t["name"], seen[t["name"]])
    for t in wrong:
        assert not any(seen[t["name"]]), (t["name"], seen[t["name"]])


def test_credentials_up_and_down_with_clear_reasons(snmp_pair, reach, tmp_path):
    lab, p, mibs = snmp_pair
    host = p.server4
    cfg = write_config(tmp_path, [
        {"name": "v2c", "probe": "snmp", "host": host, "snmp": {"version": "2c", "community": "public"},
         "oids": [{"oid": "REACH-LAB-MIB::labUpTime.0", "name": "uptime"}, "1.3.6.1.2.1.1.5.0"]},
        {"name": "v3", "probe": "snmp", "host": host, "snmp": V3, "oids": [SYS_UPTIME]},
        {"name": "wrong-community", "probe": "snmp", "host": host, "snmp": {"community": "nope"},
         "oids": [SYS_UPTIME]},
        {"name": "wrong-v3", "probe": "snmp", "host": host, "snmp": dict(V3, auth_password="wrong-pass-1"),
         "oids": [SYS_UPTIME]},
        {"name": "no-object", "probe": "snmp", "host": host, "oids": ["1.3.6.1.2.1.1.3.7"]},
    ])
    events = tmp_path / "events.jsonl"
    proc = start(p.client, reach, cfg, events, mibs)
    t0 = time.monotonic()  # from the daemon's start: an ASan build's takes seconds on a busy machine

    def settled():
        t = targets(p.client)
        return t if all("last" in x for x in t.values()) and t["v2c"]["state"] == "up" and \
            t["v3"]["state"] == "up" and t["wrong-community"]["state"] == "down" else None
    t = wait_for(settled, 15, step=0.3)
    took = time.monotonic() - t0
    assert t, json.dumps({k: (v["state"], v.get("last", {}).get("reason")) for k, v in targets(p.client).items()})
    # Down after `failures` rounds of 1 s, each bounded by its 500 ms timeout: no hang.
    assert took < 8, took
    assert t["wrong-community"]["last"]["reason"] == \
        "timed out: no SNMP answer within 500ms (agents drop a wrong community without answering)", t
    assert "uthentication" in t["wrong-v3"]["last"]["reason"], t["wrong-v3"]
    assert t["no-object"]["last"]["reason"].startswith("1.3.6.1.2.1.1.3.7: noSuchInstance"), t["no-object"]
    snmp = {v["name"]: v for v in t["v2c"]["last"]["snmp"]}
    assert snmp["uptime"]["oid"] == SYS_UPTIME and snmp["uptime"]["value"] > 0, snmp
    assert snmp["1.3.6.1.2.1.1.5.0"]["text"], snmp  # sysName: a string
    code, metrics = http_get(p.client, "http://127.0.0.1:9798/metrics")
    assert code == 200
    line = [l for l in metrics.splitlines()
            if l.startswith("reach_watch_snmp_value{") and 'target="v3"' in l and f'oid="{SYS_UPTIME}"' in l]
    assert line and float(line[0].split()[-1]) > 0, metrics
    assert 'reach_watch_up{target="wrong-community",probe="snmp"} 0' in metrics, metrics
    assert lab.stop(proc) == 0


def test_a_rate_above_max_fires_the_alert(snmp_pair, reach, tmp_path):
    lab, p, mibs = snmp_pair
    _, hook = receiver(p.client, tmp_path)
    ifindex = p.server.run(["cat", f"/sys/class/net/{p.link.iface(p.server)}/ifindex"]).stdout.strip()
    cfg = write_config(tmp_path, [
        {"name": "link-in", "probe": "snmp", "host": p.server4, "snmp": {"community": "public"},
         "oids": [{"oid": f"1.3.6.1.2.1.31.1.1.1.6.{ifindex}", "name": "ifHCInOctets", "rate": True,
                   "max": 50000}]}], failures=1)
    events = tmp_path / "events.jsonl"
    proc = start(p.client, reach, cfg, events, mibs)
    assert wait_for(lambda: targets(p.client)["link-in"]["state"] == "up", 10, step=0.3), targets(p.client)
    # About 600 kB/s toward the agent for up to 12 s (snmpd refreshes its ifTable every few s).
    flood = p.client.popen(["ping", "-q", "-c", "6000", "-i", "0.002", "-s", "1200", "-W", "1", p.server4],
                           stdout=subprocess.DEVNULL)
    try:
        firing = wait_for(lambda: [m for m in received(hook) if m["body"]["status"] == "firing"], 20, step=0.3)
    finally:
        lab.stop(flood)
    assert firing, events.read_text()
    alert = firing[0]["body"]["alerts"][0]
    assert alert["labels"]["target"] == "link-in", alert
    downs = [json.loads(l) for l in events.read_text().splitlines() if '"to":"down"' in l]
    assert downs and "ifHCInOctets: rate" in downs[0]["reason"] and "above max 50000" in downs[0]["reason"], downs
    assert lab.stop(proc) == 0


def test_a_silent_agent_does_not_delay_a_healthy_one(snmp_pair, reach, tmp_path):
    """Three agents that never answer (the server drops their port) each hold a GET for 3 x 900 ms
    (timeout x tries) every round; the healthy target's GETs still take milliseconds, each round
    up, because every GET has a helper thread of its own (one shared thread queued them behind
    the silent ones: a second or more each)."""
    lab, p, mibs = snmp_pair
    p.server.nft("table inet silent {\n chain input {\n type filter hook input priority 0;\n"
                 " udp dport 1161 drop\n }\n}\n")
    silent = [{"name": f"silent{i}", "probe": "snmp", "host": p.server4, "port": 1161, "timeout": "900ms",
               "snmp": {"community": "public", "retries": 2}, "oids": [SYS_UPTIME]} for i in range(3)]
    healthy = {"name": "healthy", "probe": "snmp", "host": p.server4, "oids": [SYS_UPTIME]}
    cfg = write_config(tmp_path, [*silent, healthy])
    events = tmp_path / "events.jsonl"
    proc = start(p.client, reach, cfg, events, mibs)

    def rounds(name):
        text = events.read_text() if events.exists() else ""
        return [e for e in lablib.parse_ndjson(text[:text.rfind("\n") + 1])
                if e["type"] == "round" and e["target"] == name]
    try:
        # The silent GETs are in flight from their first round on; 8 healthy rounds among them
        # (the first two left out: the targets' phases are spread over the first interval).
        timed_out = lambda: [r for r in rounds("silent0") if "timed out" in r.get("reason", "")]
        assert wait_for(lambda: len(rounds("healthy")) >= 10 and timed_out(), 30, step=0.3), \
            events.read_text()[-3000:]
    finally:
        assert lab.stop(proc) == 0
    got = rounds("healthy")[2:10]
    assert all(r["success"] for r in got), got
    assert max(r["duration_ms"] for r in got) < 400, [r["duration_ms"] for r in got]
    assert not any(r["success"] for r in rounds("silent0")), rounds("silent0")


def test_validate_names_each_bad_line(tmp_path, reach):
    cfg = tmp_path / "watch.yml"
    cfg.write_text("""targets:
  - name: a
    probe: snmp
    host: 198.18.1.2
    oids:
      - 1.3.6.1.2.1.1.3.0
      - 1.3.6..1
      - NO-SUCH-MIB::nothing.0
  - { name: b, probe: snmp, host: 198.18.1.2, snmp: { version: 3, user: mon }, oids: [1.3.6.1.2.1.1.3.0] }
""")
    r = subprocess.run(["env", "MIBDIRS=/nonexistent", str(reach), "watch", "--config", str(cfg), "--validate"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{cfg}:7: targets[0].oids[1]: \"1.3.6..1\" is not a numeric OID" in r.stderr, r.stderr
    assert f"{cfg}:9: targets[1].snmp: version 3 needs auth_protocol and auth_password" in r.stderr, r.stderr
    # The MIB names are resolved once the file parses.
    cfg.write_text(cfg.read_text().replace("      - 1.3.6..1\n", "").replace("{ version: 3, user: mon }", "{}"))
    r = subprocess.run(["env", "MIBDIRS=/nonexistent", str(reach), "watch", "--config", str(cfg), "--validate"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{cfg}:7: targets.a.oids: snmp mib NO-SUCH-MIB::nothing.0: unknown MIB name" in r.stderr, r.stderr
