"""`reach watch` traces the path toward a target when its state changes (docs/WATCH.md, "Paths"):
a route change on a router between the client and the target shows up as a path diff.

    client - r1 - r2a - server      r1 routes the target via r2a, then via r2b
                \\- r2b -/
"""

import json
import re
import time

from watch_lab import block_icmp, daemon_config, events_of, http_get, start_daemon, two_routes, wait_for

TARGET = "198.19.77.1"
API = "http://127.0.0.1:9798/api/v1/targets/t/path"


def post(host, url):
    r = host.run(["curl", "-s", "-m", "5", "-X", "POST", "-w", "\n%{http_code}", url], check=False, timeout=10)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def path_events(events, trigger):
    return [e for e in events_of(events, "path") if e["trigger"] == trigger]


def hop_addrs(path):
    return [h["addr"] for h in path["hops"]]


def test_route_change_on_a_router_shows_as_a_path_diff(lab, reach, tmp_path):
    client, r1, server, hop1, via_a, via_b = two_routes(lab)

    cfg = daemon_config(tmp_path, [{"name": "t", "host": TARGET}], failures=2, successes=2)
    events = tmp_path / "events.ndjson"
    proc = start_daemon(client, reach, cfg, events)
    try:
        # The baseline: traced at the first round, through r2a.
        start = wait_for(lambda: path_events(events, "start"), 20)
        assert start, events_of(events)
        assert hop_addrs(start[0]["path"]) == [hop1, via_a, TARGET]
        assert start[0]["path"]["reached"] is True and start[0]["up_path"] is None
        code, body = http_get(client, API)
        assert code == 200, body
        assert hop_addrs(json.loads(body)["up_path"]) == [hop1, via_a, TARGET]

        # On demand: the same path, no change.
        code, body = post(client, API)
        assert code == 202, body
        api = wait_for(lambda: path_events(events, "api"), 20)
        assert api and api[0]["changed"] is False, api

        assert wait_for(lambda: json.loads(http_get(client, API[:-len("/path")])[1]).get("state") == "up", 20)

        # r1 now sends the target's traffic to r2b, and the target stops answering: the trace
        # of the down change ends at r2b, and the diff names the hop that changed.
        r1.ip("route", "replace", "198.19.77.0/24", "via", via_b)
        block_icmp(server, True)
        down = wait_for(lambda: path_events(events, "down"), 30)
        assert down, events_of(events)
        d = down[0]
        assert d["path"]["state"] == "down" and d["path"]["reached"] is False
        assert hop_addrs(d["path"]) == [hop1, via_b]
        assert d["changed"] is True
        diff = {h["ttl"]: h for h in d["diff"]}
        assert diff[1]["change"] == "same"
        assert (diff[2]["before"], diff[2]["after"], diff[2]["change"]) == (via_a, via_b, "changed")
        assert (diff[3]["before"], diff[3]["after"], diff[3]["change"]) == (TARGET, None, "removed")
        code, body = http_get(client, API)
        got = json.loads(body)
        assert code == 200 and got["changed"] is True
        assert hop_addrs(got["latest_path"]) == [hop1, via_b]

        # Back up through r2b: compared with the last up path (via r2a), hop 2 still differs;
        # the new path becomes the up path.
        block_icmp(server, False)
        up = wait_for(lambda: path_events(events, "up"), 30)
        assert up, events_of(events)
        u = up[0]
        assert hop_addrs(u["path"]) == [hop1, via_b, TARGET] and u["path"]["reached"] is True
        assert [h["change"] for h in u["diff"]] == ["same", "changed", "same"]
        code, body = http_get(client, API)
        got = json.loads(body)
        assert hop_addrs(got["up_path"]) == [hop1, via_b, TARGET] and got["changed"] is False
        # The history keeps every path event, newest first, as written to --events.
        assert [h["trigger"] for h in got["history"]][:4] == ["up", "down", "api", "start"], got["history"]
        assert got["history"][1]["diff"] == d["diff"]
        # Unknown targets and other methods get one line of JSON.
        assert post(client, "http://127.0.0.1:9798/api/v1/targets/nope/path")[0] == 404
    finally:
        lab.stop(proc)
    errors = [e for e in events_of(events, "error") if "path" in e["reason"] or "history" in e["reason"]]
    assert not errors, errors


def counters(host):
    """Packets counted by the `cnt` table's rules, by the rule's match text."""
    text = host.run(["nft", "list", "table", "inet", "cnt"]).stdout
    return {m[0].strip(): int(m[1]) for m in re.findall(r"^\s*(.+?) counter packets (\d+)", text, re.M)}


def test_path_config_off_protocol_and_mda(lab, reach, tmp_path):
    """`path:` of a target: `off` traces nothing; `protocol: tcp` sends TCP probes to its port
    (counted on the server); `mda: true` over UDP finds both branches of a load-balanced hop.

        client - r1 =(ra | rb)= r3 - server      r1 hashes flows over ra and rb on their ports
    """
    c, r1, ra, rb, r3, s = (lab.host(n) for n in ("client", "r1", "ra", "rb", "r3", "server"))
    l1 = lab.link(c, r1)
    la, lb = lab.link(r1, ra), lab.link(r1, rb)
    lab.link(ra, r3)
    lab.link(rb, r3)
    lab.link(r3, s)
    lab.local_addresses(s, "198.19.77.0/24")
    r1.sysctls({"net.ipv4.fib_multipath_hash_policy": "1"})
    r1.ip("route", "replace", "198.19.77.0/24", "nexthop", "via", la.addr4(ra), "nexthop", "via", lb.addr4(rb))
    s.nft("table inet cnt {\n chain input {\n type filter hook input priority 0;\n"
          " tcp dport 4242 counter\n udp dport 5353 counter\n }\n}\n")
    cfg = daemon_config(tmp_path, [
        {"name": "tcp", "host": "198.19.77.1", "path": {"protocol": "tcp", "port": 4242}},
        # alpha 1e-6: MDA misses a branch of this two-way hop in ~2^-20 traces (at 0.05, 1 in ~30).
        {"name": "mda", "host": "198.19.77.2", "path": {"protocol": "udp", "port": 5353, "mda": True, "alpha": 1e-6}},
        {"name": "off", "host": "198.19.77.3", "path": "off"},
    ])
    events = tmp_path / "events.ndjson"
    proc = start_daemon(c, reach, cfg, events)
    base = "http://127.0.0.1:9798/api/v1/targets/"
    try:
        starts = lambda: {e["target"]: e for e in path_events(events, "start")}
        assert wait_for(lambda: {"tcp", "mda"} <= set(starts()), 30), events_of(events)
        got = starts()
        t = got["tcp"]["path"]
        assert (t["protocol"], t.get("port"), t["mda"], t["reached"]) == ("tcp", 4242, False, True), t
        assert hop_addrs(t)[0] == l1.addr4(r1) and hop_addrs(t)[-1] == "198.19.77.1", t
        m = got["mda"]["path"]
        assert (m["protocol"], m.get("port"), m["mda"], m["reached"]) == ("udp", 5353, True, True), m
        hop2 = m["hops"][1]
        assert {hop2["addr"], *hop2.get("also", [])} == {la.addr4(ra), lb.addr4(rb)}, m
        n = counters(s)
        assert n.get("tcp dport 4242", 0) > 0 and n.get("udp dport 5353", 0) > 0, n

        # `path: off`: never traced (the others' baselines are in, and rounds went on), and the
        # API says so for GET and POST.
        assert wait_for(lambda: json.loads(http_get(c, base + "off")[1]).get("state") == "up", 20)
        time.sleep(1)
        assert not [e for e in events_of(events, "path") if e["target"] == "off"], events_of(events, "path")
        code, body = http_get(c, base + "off/path")
        assert code == 404 and json.loads(body)["error"] == "path tracing is off for off", body
        assert post(c, base + "off/path")[0] == 404
    finally:
        lab.stop(proc)
    errors = [e for e in events_of(events, "error") if "path" in e["reason"]]
    assert not errors, errors
