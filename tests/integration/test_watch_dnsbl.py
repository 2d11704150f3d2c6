"""reach watch's `dnsbl` probe against a DNS blocklist served in the lab: dnsmasq in the server's
namespace answers the zones `dnsbl.test.` and `other.test.` (NXDOMAIN for every name, except the
names of an addn-hosts file it re-reads on SIGHUP) and forwards `silent.test.` to an address
that drops every query. reach watch runs in the client's namespace with three targets: mx1
(198.18.77.2) becomes listed on dnsbl.test when the file gains its name and dnsmasq is reloaded,
and its alert fires at a webhook and in the event file with the zone, code and TXT, then resolves
when the listing goes; mx2 (198.18.77.3) is never listed and stays up; mx3 asks only the silent
zone: no verdict, never "down"; and while mx1 is listed, a resolver that stops answering neither
resolves its alert nor changes its state. Needs root (skips otherwise)."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from watch_lab import (TIMEOUT, events_of, http_get, receiver, received, start_daemon,  # noqa: F401
                       wait_for)

DNSMASQ = Path("/usr/sbin/dnsmasq")
LISTED, CLEAN = "198.18.77.2", "198.18.77.3"
TXT = "Listed by the lab: see https://dnsbl.test/?198.18.77.2"


def v4name(addr):
    return ".".join(reversed(addr.split(".")))


def dnsbl_config(tmp_path, dns_server):
    cfg = tmp_path / "watch.yml"
    common = f'dns_server: "{dns_server}", interval: 500ms, timeout: 400ms'
    cfg.write_text(f"""listen: "127.0.0.1:9798"
db: {tmp_path / 'watch.db'}
targets:
  - {{ name: mx1, probe: dnsbl, host: {LISTED}, zones: [dnsbl.test, other.test], {common} }}
  - {{ name: mx2, probe: dnsbl, host: {CLEAN}, zones: [dnsbl.test, other.test], {common} }}
  - {{ name: mx3, probe: dnsbl, host: {LISTED}, zones: [silent.test], {common} }}
alerts:
  - {{ name: listed, failures: 2, successes: 2, notify: [hook] }}
notifiers:
  hook: {{ webhook: "http://127.0.0.1:9099/alert" }}
""")
    return cfg


@pytest.fixture
def blocklist(lab, reach, tmp_path):
    if not DNSMASQ.exists():
        pytest.skip("dnsmasq not installed (scripts/install-deps.sh)")
    p = lab.pair()
    p.server.ip("route", "add", "198.18.250.1/32", "via", p.client4)  # silent.test: dropped by the client
    hosts = tmp_path / "listed.hosts"
    hosts.write_text("")
    proc = p.server.popen([str(DNSMASQ), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                           "--bind-interfaces", f"--listen-address={p.server4}", "--port=53", "--pid-file",
                           "--user=root", "--log-facility=-", "--local=/dnsbl.test/", "--local=/other.test/",
                           "--server=/silent.test/198.18.250.1", f"--addn-hosts={hosts}", "--no-negcache",
                           f"--txt-record={v4name(LISTED)}.dnsbl.test,{TXT}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for(lambda: dnsmasq_says(p, reach) == "not-listed", 10, step=0.2):
        pytest.fail("dnsmasq did not come up")
    return p, proc, hosts


def dnsmasq_says(p, reach):
    """What the blocklist answers for LISTED now (reach check --dnsbl, one try)."""
    r = p.client.run([str(reach), "check", "--dnsbl", "--dns-server", p.server4, "--dnsbl-zone", "dnsbl.test",
                      "-W", "0.5", "-r", "0", "--json", LISTED], check=False, timeout=10)
    for word in ("not-listed", "listed", "error"):
        if f'"result":"{word}"' in r.stdout:
            return word
    return None


def listed_in_dnsmasq(p, reach, proc, hosts, on):
    hosts.write_text(f"127.0.0.2 {v4name(LISTED)}.dnsbl.test\n" if on else "")
    proc.send_signal(signal.SIGHUP)  # dnsmasq re-reads its addn-hosts files
    want = "listed" if on else "not-listed"
    assert wait_for(lambda: dnsmasq_says(p, reach) == want, 10, step=0.2)


def changes(events, target):
    return [e for e in events_of(events, "state_change") if e["target"] == target]


def test_an_address_that_gets_listed_fires_and_resolves(blocklist, lab, reach, tmp_path):
    p, dnsmasq, hosts = blocklist
    _, hook = receiver(p.client, tmp_path)
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, dnsbl_config(tmp_path, p.server4), events)
    try:
        assert wait_for(lambda: changes(events, "mx1") and changes(events, "mx2"), 20), events.read_text()
        assert [e["to"] for e in changes(events, "mx1")] == ["up"]

        listed_in_dnsmasq(p, reach, dnsmasq, hosts, True)
        firing = wait_for(lambda: [m for m in received(hook) if m["body"]["status"] == "firing"], 20)
        assert firing, events.read_text()
        alert = firing[0]["body"]["alerts"][0]
        assert alert["labels"]["target"] == "mx1" and alert["labels"]["alertname"] == "listed", alert
        why = f'listed on dnsbl.test (127.0.0.2 "{TXT}")'
        assert alert["annotations"]["description"] == why, alert
        down = [e for e in changes(events, "mx1") if e["to"] == "down"]
        assert down and down[0]["reason"] == why, events.read_text()
        rounds = [e for e in events_of(events, "round") if e["target"] == "mx1" and not e["success"]]
        zones = {z["zone"]: z for z in rounds[-1]["dnsbl"]}
        assert zones["dnsbl.test"]["result"] == "listed" and zones["dnsbl.test"]["codes"] == ["127.0.0.2"], zones
        assert zones["dnsbl.test"]["txt"] == TXT and zones["other.test"]["result"] == "not-listed", zones

        code, body = http_get(p.client, "http://127.0.0.1:9798/metrics")
        assert code == 200
        assert 'reach_watch_dnsbl_listed{target="mx1",probe="dnsbl",zone="dnsbl.test"} 1' in body, body
        assert 'reach_watch_dnsbl_listed{target="mx1",probe="dnsbl",zone="other.test"} 0' in body, body
        assert 'reach_watch_dnsbl_listed{target="mx2",probe="dnsbl",zone="dnsbl.test"} 0' in body, body
        assert 'reach_watch_dnsbl_zone_error{target="mx3",probe="dnsbl",zone="silent.test"} 1' in body, body
        assert 'zone="silent.test"} ' not in body.split("reach_watch_dnsbl_zone_error")[0], body
        assert 'reach_watch_state{target="mx3",probe="dnsbl",state="unknown"} 1' in body, body
        code, api = http_get(p.client, "http://127.0.0.1:9798/api/v1/targets/mx1")
        assert code == 200 and '"result":"listed"' in api and '"state":"down"' in api, api

        # The resolver goes silent while mx1 is listed: rounds without a verdict neither resolve
        # the alert nor move the state.
        p.server.nft("table inet dnsblk {\n chain input {\n type filter hook input priority 0;\n"
                     " udp dport 53 drop\n }\n}\n")
        try:
            silent = lambda: [e for e in events_of(events, "round") if e["target"] == "mx1" and e.get("no_verdict")]
            assert wait_for(lambda: len(silent()) >= 4, 20), events.read_text()
            assert "no zone told: dnsbl.test: no answer within 0.4s" in silent()[-1]["reason"], silent()[-1]
        finally:
            p.server.run(["nft", "delete", "table", "inet", "dnsblk"])
        assert [m["body"]["status"] for m in received(hook)] == ["firing"], received(hook)
        assert [e["to"] for e in changes(events, "mx1")] == ["up", "down"], events.read_text()

        listed_in_dnsmasq(p, reach, dnsmasq, hosts, False)
        assert wait_for(lambda: [m for m in received(hook) if m["body"]["status"] == "resolved"], 20), \
            events.read_text()
        time.sleep(1.5)
        assert [(m["body"]["status"], m["body"]["alerts"][0]["labels"]["target"]) for m in received(hook)] == \
            [("firing", "mx1"), ("resolved", "mx1")], received(hook)
        # The address never listed stayed up; the zone that never answered never made mx3 "down".
        assert [e["to"] for e in changes(events, "mx2")] == ["up"], events.read_text()
        assert changes(events, "mx3") == [], events.read_text()
        mx3 = [e for e in events_of(events, "round") if e["target"] == "mx3"]
        assert len(mx3) >= 3 and all(e["no_verdict"] and not e["success"] for e in mx3), mx3[-1]
        assert mx3[-1]["reason"] == "no zone told: silent.test: no answer within 0.4s x 1 attempt", mx3[-1]
    finally:
        assert lab.stop(proc) == 0


def test_validate_names_the_line_of_a_bad_zone_or_host(tmp_path, reach):
    cfg = tmp_path / "watch.yml"
    cfg.write_text("""targets:
  - { name: a, probe: dnsbl, host: 198.18.77.2 }
  - name: b
    probe: dnsbl
    host: mx.example.org
    zones: [ok.test, "bad..zone"]
""")
    r = subprocess.run([str(reach), "watch", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f'{cfg}:5: targets[1].host: "mx.example.org" is not an IP address' in r.stderr, r.stderr
    assert f'{cfg}:6: targets[1].zones[1]: "bad..zone": an empty label' in r.stderr, r.stderr
    ok = tmp_path / "ok.yml"
    ok.write_text("targets: [ { name: a, probe: dnsbl, host: 198.18.77.2 } ]\n")
    r = subprocess.run([str(reach), "watch", "--config", str(ok), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
