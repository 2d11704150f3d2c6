"""`reach watch` traces the path toward a target when its state changes (docs/WATCH.md, "Paths"):
a route change on a router between the client and the target shows up as a path diff.

    client - r1 - r2a - server      r1 routes the target via r2a, then via r2b
                \\- r2b -/
"""

import json
import time

from watch_lab import block_icmp, daemon_config, events_of, http_get, start_daemon, wait_for

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
    client, r1, r2a, r2b, server = (lab.host(n) for n in ("client", "r1", "r2a", "r2b", "server"))
    l1 = lab.link(client, r1)
    l2 = lab.link(r1, r2a)
    l3 = lab.link(r1, r2b)
    lab.link(r2a, server)
    lab.link(r2b, server)
    lab.local_addresses(server, "198.19.77.0/24")
    via_a, via_b = l2.addr4(r2a), l3.addr4(r2b)
    r1.ip("route", "replace", "198.19.77.0/24", "via", via_a)

    cfg = daemon_config(tmp_path, [{"name": "t", "host": TARGET}], failures=2, successes=2)
    events = tmp_path / "events.ndjson"
    proc = start_daemon(client, reach, cfg, events)
    try:
        # The baseline: traced at the first round, through r2a.
        start = wait_for(lambda: path_events(events, "start"), 20)
        assert start, events_of(events)
        assert hop_addrs(start[0]["path"]) == [l1.addr4(r1), via_a, TARGET]
        assert start[0]["path"]["reached"] is True and start[0]["up_path"] is None
        code, body = http_get(client, API)
        assert code == 200, body
        assert hop_addrs(json.loads(body)["up_path"]) == [l1.addr4(r1), via_a, TARGET]

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
        assert hop_addrs(d["path"]) == [l1.addr4(r1), via_b]
        assert d["changed"] is True
        diff = {h["ttl"]: h for h in d["diff"]}
        assert diff[1]["change"] == "same"
        assert (diff[2]["before"], diff[2]["after"], diff[2]["change"]) == (via_a, via_b, "changed")
        assert (diff[3]["before"], diff[3]["after"], diff[3]["change"]) == (TARGET, None, "removed")
        code, body = http_get(client, API)
        got = json.loads(body)
        assert code == 200 and got["changed"] is True
        assert hop_addrs(got["latest_path"]) == [l1.addr4(r1), via_b]

        # Back up through r2b: compared with the last up path (via r2a), hop 2 still differs;
        # the new path becomes the up path.
        block_icmp(server, False)
        up = wait_for(lambda: path_events(events, "up"), 30)
        assert up, events_of(events)
        u = up[0]
        assert hop_addrs(u["path"]) == [l1.addr4(r1), via_b, TARGET] and u["path"]["reached"] is True
        assert [h["change"] for h in u["diff"]] == ["same", "changed", "same"]
        code, body = http_get(client, API)
        got = json.loads(body)
        assert hop_addrs(got["up_path"]) == [l1.addr4(r1), via_b, TARGET] and got["changed"] is False
        # The history keeps every path event, newest first, as written to --events.
        assert [h["trigger"] for h in got["history"]][:4] == ["up", "down", "api", "start"], got["history"]
        assert got["history"][1]["diff"] == d["diff"]
        # Unknown targets and other methods get one line of JSON.
        assert post(client, "http://127.0.0.1:9798/api/v1/targets/nope/path")[0] == 404
    finally:
        lab.stop(proc)
    errors = [e for e in events_of(events, "error") if "path" in e["reason"] or "history" in e["reason"]]
    assert not errors, errors
