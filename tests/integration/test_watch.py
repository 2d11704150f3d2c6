"""reach watch in network-namespace labs: one round from the command line (text, Nagios), config
validation with line numbers, a target that goes down and comes back (exactly one firing and
one resolved Alertmanager payload at a webhook receiver, in time), /metrics, blackbox-style
/probe and /api/v1, and a reload that keeps the rhythm of the targets that stayed. The tests
that take minutes (a 60 s notifier outage with a kill -9, 2 minutes of flapping, reloads under
CPU load) are in test_watch_outage.py; the helpers all watch tests share in watch_lab.py.
Needs root (skips otherwise)."""

import json
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

import lab as lablib
from watch_lab import (RECEIVER, TIMEOUT, block_icmp, daemon_config, http_get, read_lines, receiver,  # noqa: F401
                       received, start_daemon, unix, wait_for, watch)


# ------------------------------------------------------------------------ command line

def test_once_from_the_command_line_names_each_verdict(lab, reach):
    p = lab.pair()
    p.server.listen(tcp=[8080])
    r = watch(p.client, reach, "--once", "--no-live", "-W", "1s", p.server4, f"tcp://{p.server4}:8080",
              f"tcp://[{p.server6}]:8081")
    assert r.returncode == 1, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l and not l.startswith(("---", "TARGET", " "))}
    assert " up " in lines[p.server4] + " ", r.stdout
    assert lines[f"{p.server4}:8080"].split()[2] == "up", r.stdout
    refused = lines[f"[{p.server6}]:8081"]
    assert refused.split()[2] == "down" and "refused" in refused, r.stdout
    # All up: exit 0.
    r = watch(p.client, reach, "--once", "--no-live", p.server4, f"tcp://{p.server4}:8080")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_file_run_for_n_rounds_prints_the_summary(lab, reach, tmp_path):
    """--config FILE -c N printed nothing at all (the summary was kept for command-line targets)."""
    p = lab.pair()
    p.server.listen(tcp=[8080])
    cfg = tmp_path / "n.yml"
    cfg.write_text(f"defaults: {{ interval: 300ms, timeout: 300ms }}\ntargets:\n"
                   f"  - {{ name: ping, host: {p.server4} }}\n"
                   f"  - {{ name: refused, probe: tcp, host: {p.server4}, port: 8081 }}\n")
    r = watch(p.client, reach, "--config", str(cfg), "-c", "3", "--no-live")
    assert r.returncode == 1, r.stdout + r.stderr
    rows = {l.split()[0]: l.split() for l in r.stdout.splitlines()[2:]}
    assert r.stdout.startswith("--- reach watch summary ---"), r.stdout
    assert rows["ping"][1:3] == ["3", "0"] and rows["ping"][4] != "-", r.stdout
    assert rows["refused"][1:3] == ["3", "3"], r.stdout


def test_once_dns_and_http_targets(lab, reach, tmp_path):
    p = lab.pair()
    if not Path("/usr/sbin/dnsmasq").exists():
        pytest.skip("dnsmasq not installed (scripts/install-deps.sh)")
    p.server.popen(["/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                    "--no-hosts", "--bind-interfaces", f"--listen-address={p.server4}", "--port=53",
                    "--pid-file", "--user=root", "--log-facility=-", "--local=/test/",
                    "--host-record=web.test,198.18.1.2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (tmp_path / "index.html").write_text("status: green\n")
    p.server.popen([lablib.python_bin(), "-m", "http.server", "8000", "--bind", "::", "--directory", str(tmp_path)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = wait_for(lambda: p.client.run(["curl", "-s", f"http://{p.server4}:8000/"], check=False).returncode == 0, 10)
    assert ok
    ok = wait_for(lambda: watch(p.client, reach, "--once", "--no-live", f"dns://{p.server4}/web.test").returncode == 0, 10)
    assert ok
    r = watch(p.client, reach, "--once", "--no-live", "-W", "1s", f"dns://{p.server4}/web.test",
              f"dns://{p.server4}/nx.test", f"http://{p.server4}:8000/", f"http://{p.server4}:8000/missing")
    lines = {l.split()[0]: l for l in r.stdout.splitlines()}
    assert r.returncode == 1, r.stdout + r.stderr
    assert lines[f"{p.server4}_web.test"].split()[2] == "up", r.stdout
    assert "NXDOMAIN" in lines[f"{p.server4}_nx.test"], r.stdout
    assert lines[f"{p.server4}:8000"].split()[2] == "up" and "status=200" in lines[f"{p.server4}:8000"], r.stdout
    assert "status=404" in lines[f"{p.server4}:8000_missing"], r.stdout
    # A body pattern (RE2) in a config target.
    cfg = tmp_path / "w.yml"
    cfg.write_text(f"""targets:
  - {{ name: green, probe: http, url: "http://{p.server4}:8000/", body_regex: "status: (green|yellow)" }}
  - {{ name: red, probe: http, url: "http://{p.server4}:8000/", body_regex: "status: red" }}
""")
    r = watch(p.client, reach, "--config", str(cfg), "--once", "--nagios")
    assert r.returncode == 2 and "red" in r.stdout and "match" in r.stdout, r.stdout + r.stderr


def test_once_nagios_gives_plugin_line_and_codes(lab, reach):
    p = lab.pair()
    p.server.listen(tcp=[8080])
    r = watch(p.client, reach, "--once", "--nagios", "-W", "1s", p.server4, f"tcp://{p.server4}:8081")
    assert r.returncode == 2, r.stdout + r.stderr
    line, *long_text = r.stdout.strip().splitlines()
    assert line.startswith("WATCH CRITICAL: 1 of 2 targets ok"), line
    status, _, perf = line.partition("|")
    assert f"'{p.server4}_pl'=0%" in perf and f"'{p.server4}_rta'=" in perf, line
    assert f"'{p.server4}:8081_time'=U" in perf, line
    assert "refused" in long_text[0], r.stdout
    r = watch(p.client, reach, "--once", "--nagios", p.server4)
    assert r.returncode == 0 and r.stdout.startswith(f"WATCH OK: {p.server4} icmp: 1/1 replies"), r.stdout
    assert "'pl'=0%" in r.stdout, r.stdout


def test_validate_prints_every_error_with_its_line(tmp_path, reach):
    cfg = tmp_path / "watch.yml"
    cfg.write_text("""listen: "127.0.0.1:9798"
targets:
  - { name: a, probe: icmp, host: 198.18.1.2 }
  - { name: b, probe: tcp, host: 198.18.1.2, port: 70000 }
  - { name: c, probe: http, url: "http://198.18.1.2/", body_regex: "a(" }
alerts:
  - { name: down, failures: 0, notify: [nope] }
""")
    r = subprocess.run([str(reach), "watch", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{cfg}:4:" in r.stderr and "port" in r.stderr, r.stderr
    assert f"{cfg}:7:" in r.stderr, r.stderr
    nodb = tmp_path / "nodb.yml"
    nodb.write_text("""targets: [ { name: a, probe: icmp, host: 198.18.1.2 } ]
alerts: [ { name: down, notify: [hook] } ]
notifiers: { hook: { webhook: "http://127.0.0.1:9099/" } }
""")
    r = subprocess.run([str(reach), "watch", "--config", str(nodb), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and f"{nodb}:2:" in r.stderr and "set `db:`" in r.stderr, r.stderr
    good = tmp_path / "good.yml"
    good.write_text("""targets:
  - { name: c, probe: http, url: "http://198.18.1.2/", body_regex: "a(" }
""")
    r = subprocess.run([str(reach), "watch", "--config", str(good), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2 and f"{good}:2:" in r.stderr and "body_regex" in r.stderr, r.stderr
    good.write_text("targets:\n  - { name: c, probe: http, url: \"http://198.18.1.2/\", body_regex: \"a+c\" }\n")
    r = subprocess.run([str(reach), "watch", "--config", str(good), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0 and "OK: 1 targets" in r.stdout, r.stdout + r.stderr


# ------------------------------------------------------------------------ the daemon

def test_down_and_back_gives_exactly_one_firing_and_one_resolved(lab, reach, tmp_path):
    p = lab.pair()
    _, hook = receiver(p.client, tmp_path)
    cfg = daemon_config(tmp_path, [{"name": "web1", "probe": "icmp", "host": p.server4, "packets": 2}])
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    assert wait_for(lambda: '"to":"up"' in events.read_text() if events.exists() else False, 10)
    block_icmp(p.server, True)
    t0 = time.monotonic()
    firing = wait_for(lambda: [m for m in received(hook) if m["body"]["status"] == "firing"], 10)
    t_fire = time.monotonic() - t0
    assert firing, events.read_text()
    assert t_fire <= 3 * 0.5 + 1.0 + 0.5, t_fire  # failures x interval + 1 s (+ the round's timeout)
    block_icmp(p.server, False)
    resolved = wait_for(lambda: [m for m in received(hook) if m["body"]["status"] == "resolved"], 10)
    assert resolved
    time.sleep(2)  # nothing more may arrive
    msgs = received(hook)
    assert [m["body"]["status"] for m in msgs] == ["firing", "resolved"], msgs
    body = msgs[0]["body"]
    assert body["version"] == "4" and body["receiver"] == "hook"
    alert = body["alerts"][0]
    assert alert["labels"]["alertname"] == "down" and alert["labels"]["target"] == "web1"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert msgs[1]["body"]["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"
    assert msgs[0]["key"] and msgs[1]["key"] and msgs[0]["key"] != msgs[1]["key"]
    assert lab.stop(proc) == 0


def test_metrics_probe_and_api(lab, reach, tmp_path):
    p = lab.pair()
    p.server.listen(tcp=[8080])
    cfg = daemon_config(tmp_path, [{"name": "web1", "probe": "icmp", "host": p.server4, "labels": {"site": "lab"}},
                                   {"name": "web1-80", "probe": "tcp", "host": p.server4, "port": 8080},
                                   {"name": "web1-81", "probe": "tcp", "host": p.server4, "port": 8081}])
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)

    def states():
        code, body = http_get(p.client, "http://127.0.0.1:9798/api/v1/targets")
        return {t["name"]: t["state"] for t in json.loads(body)["targets"]} if code == 200 else {}

    def points():
        code, body = http_get(p.client, "http://127.0.0.1:9798/api/v1/targets/web1/history")
        return json.loads(body)["points"] if code == 200 else []
    # The rounds this reads, waited for (4 rounds of 500 ms; the ASan build is slow to start them).
    want = {"web1": "up", "web1-80": "up", "web1-81": "down"}
    assert wait_for(lambda: states() == want and len(points()) >= 2, 20), (states(), points())
    code, metrics = http_get(p.client, "http://127.0.0.1:9798/metrics")
    assert code == 200
    assert 'target="web1"' in metrics and 'site="lab"' in metrics, metrics
    code, body = http_get(p.client, f"http://127.0.0.1:9798/probe?target={p.server4}&module=icmp")
    assert code == 200 and "probe_success 1" in body, body
    code, body = http_get(p.client, f"http://127.0.0.1:9798/probe?target={p.server4}:8081&module=tcp_connect")
    assert code == 200 and "probe_success 0" in body, body
    code, body = http_get(p.client, "http://127.0.0.1:9798/probe?target=x&module=nope")
    assert code == 400 and "Unknown module" in body
    assert all(pt["received"] >= 1 for pt in points()), points()
    # A second daemon on the same database is refused (it wrote every round a second time).
    r = p.client.run([str(reach), "watch", "--config", str(cfg), "--listen", "127.0.0.1:9797"], check=False, timeout=20)
    assert r.returncode == 2 and r.stdout == "", r
    assert (f"{tmp_path / 'watch.db'}: another reach watch is already writing this file "
            f"(it holds {tmp_path / 'watch.db'}.watch.lock)") in r.stderr, r
    # A %00 would cut the name to web1 and answer for it: refused.
    code, body = http_get(p.client, "http://127.0.0.1:9798/api/v1/targets/web1%00x/history")
    assert code == 400 and "NUL" in body, (code, body)
    # The daemon kept CAP_NET_RAW and nothing else (bit 13), in every set.
    status = Path(f"/proc/{proc.pid}/status").read_text()
    caps = {l.split(":")[0]: int(l.split()[1], 16) for l in status.splitlines() if l.startswith("Cap")}
    assert caps["CapEff"] == caps["CapPrm"] == 1 << 13 and caps["CapInh"] == 0 and caps["CapAmb"] == 0, caps
    assert "NoNewPrivs:\t1" in status
    # Started by hand, it said so, on stderr (stdout may carry NDJSON events); it is there already.
    first = stderr_lines(proc, 1, 5)
    assert first == [f"reach watch: {cfg}: watching 3 targets; HTTP on 127.0.0.1:9798; history in {tmp_path / 'watch.db'}"], first
    assert lab.stop(proc) == 0
    # The history stays readable after the daemon stopped: text and MRTG's four lines.
    r = watch(p.client, reach, "--config", str(cfg), "--history", "web1-81")
    assert r.returncode == 0 and len(r.stdout.splitlines()) >= 3, r.stdout + r.stderr
    assert all(l.split()[2] == "0" for l in r.stdout.splitlines()[1:]), r.stdout  # no round succeeded
    r = watch(p.client, reach, "--config", str(cfg), "--mrtg", "web1")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 4 and lines[3] == "web1", r.stdout + r.stderr
    assert int(lines[0]) > 0 and lines[1] == "0", lines


def test_an_ipv6_target_is_named_in_brackets_everywhere(lab, reach, tmp_path):
    """A new user's `tcp://[V6]:8080` was shown as `V6:8080` (another address) in the lines,
    /metrics, the API and the events, and /api/v1/targets/[V6]:8080 answered 404. Without a
    history, the history endpoints answered 404 for bad parameters too: they are 400 with a line of
    JSON naming the parameter, and good ones 404 "no history" (docs/WATCH.md, "HTTP API")."""
    p = lab.pair()
    p.server.listen(tcp=[8080, 8081])
    v4, v6 = p.server4, p.server6
    names = {f"tcp://[{v6}]:8080": f"[{v6}]:8080", f"tcp://{v4}:8080": f"{v4}:8080",
             f"syn://[{v6}]:8081": f"[{v6}]:8081", f"udp://[{v6}]:9": f"[{v6}]:9",
             f"https://[{v6}]:8443/": f"[{v6}]:8443", f"dns://[{v6}]/example.org": f"[{v6}]_example.org",
             v6: v6}
    events, out = tmp_path / "events.jsonl", tmp_path / "lines.txt"
    with out.open("w") as lines:
        proc = p.client.popen([str(reach), "watch", "--no-live", "-i", "300ms", "-W", "250ms", "--listen",
                               "127.0.0.1:9798", "--events", str(events), *names], stdout=lines, text=True)
    api = "http://127.0.0.1:9798/api/v1/targets"
    try:
        assert wait_for(lambda: http_get(p.client, api, 2)[0] == 200, 30), \
            proc.stderr.read() if proc.poll() is not None else ""
        want = set(names.values())

        def probed():  # every target by its name, each with a round done
            targets = json.loads(http_get(p.client, api)[1])["targets"]
            return {t["name"] for t in targets
                    if t["rounds"] >= 1 and (t["name"] != f"[{v6}]:8080" or t["state"] == "up")}
        assert wait_for(lambda: probed() == want, 20), probed()
        code, metrics = http_get(p.client, "http://127.0.0.1:9798/metrics")
        assert code == 200 and all(f'target="{n}"' in metrics for n in want), metrics
        assert f'target="{v6}:8080"' not in metrics, metrics
        # The name as it is and percent-encoded.
        for path in (f"[{v6}]:8080", f"%5B{v6.replace(':', '%3A')}%5D%3A8080"):
            code, body = http_get(p.client, f"{api}/{path}")
            assert code == 200 and json.loads(body)["name"] == f"[{v6}]:8080", body
            assert json.loads(body)["state"] == "up", body
        bad = {"/series?range=7h": "range", "/series?from=x": "from", "/series?from=2000000000&to=1000000000": "from",
               "/history?points=0": "points", "/history?to=soon": "to", "/history?from=1e12": "from"}
        for query, param in bad.items():
            code, body = http_get(p.client, f"{api}/[{v6}]:8080{query}")
            assert code == 400 and len(body.splitlines()) == 1 and json.loads(body)["parameter"] == param, (query, body)
        for query in ("/series?range=30h", "/history?points=10"):
            code, body = http_get(p.client, f"{api}/[{v6}]:8080{query}")
            assert code == 404 and "--db" in json.loads(body)["error"], (query, body)
        code, body = http_get(p.client, f"{api}/nobody/history?points=0")
        assert code == 404 and json.loads(body) == {"error": "no target nobody"}, body
    finally:
        lab.stop(proc)
    shown = {l.split()[0] for l in out.read_text().splitlines() if l and not l.startswith(("---", "TARGET", " "))}
    assert want <= shown and f"{v6}:8080" not in shown, out.read_text()
    rounds = {e["target"] for e in lablib.parse_ndjson(events.read_text()) if e.get("target")}
    assert rounds == want, rounds


def stderr_lines(proc, n, timeout):
    """Up to n lines the process wrote on stderr, waiting at most `timeout` seconds for them."""
    return read_lines(proc.stderr, n, timeout)


def test_reload_keeps_the_rhythm_of_targets_that_stayed(lab, reach, tmp_path):
    p = lab.pair()
    lab.local_addresses(p.server, "198.18.250.0/28")
    a, b, c = "198.18.250.1", "198.18.250.2", "198.18.250.3"
    # A 1 s interval: the ASan build on a busy machine (load 17 on 2 cores) starts rounds up to a
    # third of a second late, which a shorter one could not tell from a re-phased target.
    cfg = daemon_config(tmp_path, [{"name": "a", "probe": "icmp", "host": a},
                                   {"name": "b", "probe": "icmp", "host": b}], interval="1s", timeout="400ms")
    events = tmp_path / "events.jsonl"
    proc = start_daemon(p.client, reach, cfg, events)
    time.sleep(3.5)  # a's phase before the reloads: three rounds or more
    daemon_config(tmp_path, [{"name": "a", "probe": "icmp", "host": a},
                             {"name": "c", "probe": "icmp", "host": c}], interval="1s", timeout="400ms")
    first_reload = time.time()
    for _ in range(3):  # reloads under load: SIGHUP and the API
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.4)
        assert http_get(p.client, "http://127.0.0.1:9798/-/reload")[0] == 405  # GET is not a reload
        r = p.client.run(["curl", "-s", "-X", "POST", "http://127.0.0.1:9798/-/reload"], check=False)
        assert "reloaded" in r.stdout
        time.sleep(0.4)
    time.sleep(3.5)
    # Said on stderr: the start, each SIGHUP reload; a failed one once (it was twice).
    cfg.write_text(cfg.read_text() + "bogus_key: 1\n")
    proc.send_signal(signal.SIGHUP)
    said = stderr_lines(proc, 5, 30)
    said += stderr_lines(proc, 1, 1.5)  # a sixth line would be the failure said twice
    assert lab.stop(proc) == 0
    assert said[0].startswith(f"reach watch: {cfg}: watching 2 targets"), said
    assert said[1:4] == [f"reach watch: {cfg}: reloaded: watching 2 targets"] * 3, said
    assert said[4].startswith("reach watch: reload failed: ") and "bogus_key" in said[4], said
    assert len(said) == 5, said
    rounds = [e for e in lablib.parse_ndjson(events.read_text()) if e["type"] == "round"]
    times = {}
    for e in rounds:
        times.setdefault(e["target"], []).append(e)
    assert "c" in times and len(times["c"]) >= 3
    stamps = sorted(e["time"] for e in times["a"])
    # a kept its rhythm: one round every interval (a missing or doubled one shows as a gap of 2
    # or 0 intervals; a late start, up to half an interval, is the machine's), and on the phase it
    # had before the reloads (a re-phase shifts the median distance from it; a late round or two
    # do not). As test_watch_outage.py's reloads under load, with one target.
    gaps = [y - x for x, y in zip(stamps, stamps[1:])]
    assert all(round(g) == 1 for g in gaps), gaps
    offsets = [(t - stamps[0] + 0.5) % 1.0 - 0.5 for t in stamps]  # from a's first round's phase
    before = statistics.median(o for o, t in zip(offsets, stamps) if t < first_reload)
    after = statistics.median(o for o, t in zip(offsets, stamps) if t > first_reload)
    assert abs(after - before) < 0.1, (before, after, offsets)
    last_b = max(e["time"] for e in times["b"])
    first_c = min(e["time"] for e in times["c"])
    assert last_b < max(e["time"] for e in times["a"]) and first_c > min(e["time"] for e in times["a"])


def test_ups_and_downs_leave_a_line_on_stderr_without_events_or_notifiers(lab, reach, tmp_path):
    """A target going down and up flipped /metrics, the API and the dashboard, but an operator
    without --events or notifiers had no trail in the journal. Each state change is one line on
    stderr; rounds stay quiet, and so does the start's first verdict of up."""
    client, server = lab.host("nwclient"), lab.host("nwserver")
    link = lab.link(client, server)
    listener = server.listen(tcp=[8080])
    cfg = tmp_path / "w.yml"
    cfg.write_text("defaults: { interval: 200ms, timeout: 150ms }\ntargets:\n"
                   f"  - {{ name: web, probe: tcp, host: {link.b4}, port: 8080 }}\n"
                   f"  - {{ name: self, probe: tcp, host: {link.a4}, port: 9 }}\n")
    proc = client.popen([str(reach), "watch", "--config", str(cfg)], stdout=subprocess.DEVNULL)
    try:
        said = stderr_lines(proc, 2, 30)
        assert said[0].startswith(f"reach watch: {cfg}: watching 2 targets"), said
        # `self` is refused from its first round: its first verdict, down, is said.
        assert said[1].startswith("reach watch: self: unknown -> down (") and "refused" in said[1], said
        time.sleep(1)  # rounds of an up target: nothing
        lab.stop(listener)
        down = stderr_lines(proc, 1, 10)
        assert down and down[0].startswith("reach watch: web: up -> down (") and "refused" in down[0], down
        listener = server.listen(tcp=[8080])
        assert stderr_lines(proc, 1, 10) == ["reach watch: web: down -> up"]
        assert stderr_lines(proc, 1, 1.5) == [], "rounds say nothing"
    finally:
        lab.stop(proc)


def test_a_failed_events_write_is_said_once_and_the_daemon_goes_on(lab, reach, tmp_path):
    """--events FILE went through an ofstream: once a write failed (a full disk) every later
    event was dropped without a word. Now a daemon says it once and tries each next event again;
    a bounded run stops with exit 2, as for a failed stdout."""
    client, server = lab.host("evclient"), lab.host("evserver")
    link = lab.link(client, server)
    listener = server.listen(tcp=[8080])
    cfg = tmp_path / "w.yml"
    cfg.write_text("defaults: { interval: 200ms, timeout: 150ms }\ntargets:\n"
                   f"  - {{ name: web, probe: tcp, host: {link.b4}, port: 8080 }}\n")
    proc = client.popen([str(reach), "watch", "--config", str(cfg), "--events", "/dev/full"],
                        stdout=subprocess.DEVNULL)
    try:
        said = stderr_lines(proc, 2, 30)
        assert said[0].startswith(f"reach watch: {cfg}: watching 1 target"), said
        assert said[1] == ("reach watch: --events /dev/full: No space left on device: this output is "
                           "dropped, the next is tried again; still running"), said
        lab.stop(listener)  # the daemon still probes and says its state changes, the write error not again
        down = stderr_lines(proc, 1, 10)
        assert down and down[0].startswith("reach watch: web: up -> down ("), down
        assert proc.poll() is None
    finally:
        lab.stop(proc)
    r = client.run([str(reach), "watch", "--once", "--no-live", f"tcp://{link.b4}:8080", "--events", "/dev/full"],
                   check=False)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip().splitlines()[-1] == ("reach watch: --events /dev/full: write error: "
                                                 "No space left on device"), r.stderr
    missing = tmp_path / "no-such-dir" / "e.ndjson"
    r = client.run([str(reach), "watch", "--once", "--no-live", f"tcp://{link.b4}:8080", "--events", str(missing)],
                   check=False)
    assert r.returncode == 2 and r.stderr == f"reach watch: --events {missing}: No such file or directory\n", r.stderr


@pytest.mark.parametrize("from_file", [True, False], ids=["config", "command-line"])
def test_sighup_reopens_the_events_file_logrotate_moved_away(lab, reach, tmp_path, from_file):
    """logrotate renames --events FILE and sends SIGHUP (its postrotate): the daemon wrote on into
    the renamed file for ever. Now SIGHUP appends to FILE anew; the old file gets nothing more,
    and no line is lost or cut between the two."""
    p = lab.pair()
    listener = p.server.listen(tcp=[8080])
    ev, old = tmp_path / "events.ndjson", tmp_path / "events.ndjson.1"
    if from_file:
        cfg = tmp_path / "w.yml"
        cfg.write_text("defaults: { interval: 200ms, timeout: 150ms }\ntargets:\n"
                       f"  - {{ name: web, probe: tcp, host: {p.server4}, port: 8080 }}\n")
        args, said = ["--config", str(cfg)], f"reach watch: {cfg}: reloaded: watching 1 targets"
    else:
        args, said = ["--no-live", "-i", "200ms", f"tcp://{p.server4}:8080"], \
            "reach watch: SIGHUP: started from the command line: reopened --events, nothing else to reload"
    proc = p.client.popen([str(reach), "watch", *args, "--events", str(ev)], stdout=subprocess.DEVNULL)
    try:
        rounds = lambda f: [e for e in lablib.parse_ndjson(f.read_text()) if e["type"] == "round"] if f.exists() else []
        assert wait_for(lambda: len(rounds(ev)) >= 3, 15)
        ev.rename(old)
        n = len(rounds(old))
        assert wait_for(lambda: len(rounds(old)) >= n + 2, 15)  # still written: the same open file
        proc.send_signal(signal.SIGHUP)
        lines, t0 = [], time.monotonic()
        while said not in lines and time.monotonic() - t0 < 15:
            lines += stderr_lines(proc, 1, 1)
        assert said in lines, lines
        assert wait_for(lambda: len(rounds(ev)) >= 3, 15)
        size = old.stat().st_size
        time.sleep(1)
        assert old.stat().st_size == size
    finally:
        lab.stop(proc)
        lab.stop(listener)
    a, b = old.read_text(), ev.read_text()
    assert a.endswith("\n") and b.endswith("\n")
    a, b = lablib.parse_ndjson(a), lablib.parse_ndjson(b)  # every line whole
    assert a[-1]["time"] <= b[0]["time"], (a[-1], b[0])
    times = [e["time"] for e in a + b if e["type"] == "round"]
    gaps = [t1 - t0 for t0, t1 in zip(times, times[1:])]
    assert max(gaps) < 2.0, gaps  # a round every 200 ms on both sides of the rotation: none lost


def test_a_blackbox_module_ca_file_is_trusted(lab, reach, tmp_path):
    """A module's tls_config.ca_file was read and documented as supported but never reached curl:
    every target behind a private CA was down ("self-signed certificate") where blackbox_exporter
    has it up."""
    p = lab.pair()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=private-ca.lab", "-addext", f"subjectAltName=IP:{p.server4}"],
                   check=True, capture_output=True, timeout=60)
    for f in (tmp_path, key, cert):
        f.chmod(0o755 if f.is_dir() else 0o644)
    server = p.server.popen([lablib.python_bin(), str(Path(__file__).parent / "check_http_server.py"),
                             "--port", "8000", "--tls-port", "8443", "--cert", str(cert), "--key", str(key),
                             "--max-seconds", "60"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=False, bufsize=0)
    lablib._wait_for_line(server, b"ready", timeout=15)
    (tmp_path / "bb.yml").write_text(f"""modules:
  private_ca: {{ prober: http, http: {{ tls_config: {{ ca_file: {cert} }} }} }}
  system_ca: {{ prober: http }}
""")
    cfg = tmp_path / "w.yml"
    url = f"https://{p.server4}:8443/ok"
    cfg.write_text(f"modules: {tmp_path / 'bb.yml'}\ndefaults: {{ interval: 3s, timeout: 3s }}\ntargets:\n"
                   f"  - {{ name: trusted, module: private_ca, url: \"{url}\" }}\n"
                   f"  - {{ name: untrusted, module: system_ca, url: \"{url}\" }}\n")
    r = watch(p.client, reach, "--config", str(cfg), "--once", "--events", "-")
    assert r.stdout, r.stderr
    states = {e["target"]: e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "state_change"}
    assert states["trusted"]["to"] == "up", r.stdout + r.stderr
    assert states["untrusted"]["to"] == "down" and "self-signed" in states["untrusted"]["reason"], r.stdout
    assert r.returncode == 1, r.stderr


def test_a_bounded_run_whose_events_reader_goes_away_says_it_and_exits_2(lab, reach, tmp_path):
    """`--events FIFO` whose reader went away ended `-c N` as `| head -1` ends ping: killed by
    SIGPIPE (141) in silence, the summary on stdout lost with it, though stdout was fine."""
    p = lab.pair()
    p.server.listen(tcp=[8080])
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    reader = p.client.popen(["head", "-n", "1", str(fifo)], stdout=subprocess.DEVNULL)  # then goes away
    r = watch(p.client, reach, "-c", "6", "-i", "300ms", "--no-live", f"tcp://{p.server4}:8080", "--events", str(fifo))
    reader.wait(timeout=10)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.splitlines()[-1] == f"reach watch: --events {fifo}: write error: Broken pipe", r.stderr
    assert "--- reach watch summary ---" in r.stdout, r.stdout
