"""watch's dashboard against a lab watch: the no-JavaScript overview over plain HTTP (every
target, its state, the security headers, cached assets), then a real headless Chromium in the
client's namespace (dashboard_browser.py) that waits for the live table, sorts and filters it,
opens each target's smoke graphs and zooms one. Screenshots are kept under
$REACH_BUILD_DIR/artifacts/dashboard/. Needs root (skips otherwise) and Debian's chromium,
chromium-driver and python3-selenium (scripts/install-deps.sh)."""

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

import lab as lablib
from watch_lab import block_icmp, daemon_config, events_of, http_get, receiver, start_daemon, two_routes, wait_for

HERE = Path(__file__).resolve().parent
BROWSER = HERE / "dashboard_browser.py"
URL = "http://127.0.0.1:9798"
NAMES = ("web-1", "api:8080", "db.down")


def artifacts() -> Path:
    d = Path(os.environ.get("REACH_BUILD_DIR", HERE.parents[1] / "build")) / "artifacts" / "dashboard"
    d.mkdir(parents=True, exist_ok=True)
    return d


def run_browser(host, argv):
    """dashboard_browser.py in `host`'s namespace; what it saw. Its own session, so the browser
    and its driver are ended by group id if it hangs."""
    proc = host.popen(argv, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads(stdout)


def curl_head(host, url, *extra):
    """Status line and headers (names lower-cased) of a GET."""
    r = host.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-m", "10", *extra, url], check=False, timeout=15)
    lines = r.stdout.replace("\r", "").splitlines()
    return lines[0] if lines else "", {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:]) if v}


@pytest.fixture
def dash(lab, reach, linkem, tmp_path):
    """A watch in the client namespace over a link with 2 ms of delay and 5 % loss each way: an
    ICMP target with 10 pings a round (smoke), a TCP target up and one refused (down)."""
    p = lab.pair(delay_ms=2, loss_pct=5)
    p.server.listen(tcp=[8080])
    receiver(p.client, tmp_path)
    cfg = daemon_config(tmp_path, [
        {"name": NAMES[0], "host": p.server4, "packets": 10},
        {"name": NAMES[1], "probe": "tcp", "host": p.server4, "port": 8080},
        {"name": NAMES[2], "probe": "tcp", "host": p.server4, "port": 8081},
    ], interval="1s", timeout="500ms", failures=2)
    start_daemon(p.client, reach, cfg, tmp_path / "events.jsonl")

    def states():
        code, body = http_get(p.client, URL + "/api/v1/overview", 3)
        return {t["name"]: t["state"] for t in json.loads(body)["targets"]} if code == 200 else {}
    want = {NAMES[0]: "up", NAMES[1]: "up", NAMES[2]: "down"}
    assert wait_for(lambda: states() == want, 30, step=0.5), states()
    # REACH_DASHBOARD_SOAK=SECONDS lets history build up first (how docs/img/dashboard.png was made).
    time.sleep(min(float(os.environ.get("REACH_DASHBOARD_SOAK", "0")), 1800))
    return p


def test_the_overview_is_complete_without_javascript(dash):
    code, body = http_get(dash.client, URL + "/")
    assert code == 200
    rows = {name: state for state, name in re.findall(r'<tr class="state-(\w+)" data-name="([^"]+)"', body)}
    assert rows == {NAMES[0]: "up", NAMES[1]: "up", NAMES[2]: "down"}, body
    # The refused target's row gives its last round's reason: refused, or timed out when the
    # link's 5 % loss took that round's SYN or RST.
    row = re.search(r'<tr class="state-down" data-name="%s".*?</tr>' % re.escape(NAMES[2]), body, re.S)
    assert row, body
    assert '<td class="state">down</td>' in row.group(0), row.group(0)
    assert "connection refused" in row.group(0) or "timed out" in row.group(0), row.group(0)
    # Sorting and filtering work through links and a form, with no script at all.
    code, body = http_get(dash.client, URL + "/?q=DB&sort=state")
    assert re.findall(r'data-name="([^"]+)"', body) == [NAMES[2]], body
    status, h = curl_head(dash.client, URL + "/")
    assert " 200" in status and h["content-type"] == "text/html; charset=utf-8", (status, h)
    assert h["content-security-policy"].startswith("default-src 'none'; script-src 'self'"), h
    assert "'unsafe-inline'" not in h["content-security-policy"]
    # Static files: compiled in, typed, and revalidated by ETag.
    status, h = curl_head(dash.client, URL + "/assets/chart.min.js")
    assert " 200" in status and h["content-type"].startswith("text/javascript") and h["etag"], h
    assert h["cache-control"] == "no-cache"
    status, _ = curl_head(dash.client, URL + "/assets/chart.min.js", "-H", f"If-None-Match: {h['etag']}")
    assert " 304" in status, status
    code, lic = http_get(dash.client, URL + "/assets/chart.js.LICENSE")
    assert code == 200 and "Chart.js Contributors" in lic
    assert http_get(dash.client, URL + "/assets/nothing.js")[0] == 404
    assert http_get(dash.client, URL + "/targets/nobody")[0] == 404
    code, series = http_get(dash.client, URL + f"/api/v1/targets/{NAMES[2]}/series?range=30h")
    s = json.loads(series)
    assert code == 200 and s["points"] and all(p["loss"] == 1 for p in s["points"]), series[:500]
    assert any(e["to"] == "down" for e in s["events"]), s["events"]
    assert http_get(dash.client, URL + f"/api/v1/targets/{NAMES[2]}/series?range=7h")[0] == 400
    # The API's root answers with its endpoints (it was a 404).
    for root in ("/api/v1", "/api/v1/"):
        code, body = http_get(dash.client, URL + root)
        index = json.loads(body)
        assert code == 200 and index["api"] == "reach watch", body
        paths = {(e["method"], e["path"]) for e in index["endpoints"]}
        assert {("GET", "/api/v1/targets"), ("GET", "/api/v1/targets/NAME/history"),
                ("GET", "/api/v1/overview"), ("POST", "/api/v1/targets/NAME/path")} <= paths, body


def test_chromium_shows_every_target_and_the_smoke_graphs(dash, tmp_path):
    # A plain skip (REACH_REQUIRE_LAB=1 makes it a failure): install-deps.sh installs them.
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver not installed (scripts/install-deps.sh)")
    out = artifacts()
    argv = [lablib.python_bin(), "-B", str(BROWSER), "--url", URL, "--out", str(out),
            "--profile", str(tmp_path / "chromium"), "--timeout", "90"]
    for n in (NAMES[0], NAMES[2]):
        argv += ["--target", n]
    r = run_browser(dash.client, argv)
    (out / "result.json").write_text(json.dumps(r, indent=1))
    seen = {row["name"]: row["state"] for row in r["overview"]}
    assert seen == {NAMES[0]: "up", NAMES[1]: "up", NAMES[2]: "down"}, r["overview"]
    assert all(row["link"].endswith("/targets/" + row["name"].replace(":", "%3A")) for row in r["overview"])
    assert r["by_state"][0] == "down", r["by_state"]
    assert r["filtered"] == [NAMES[0]], r["filtered"]
    # In UTC like every other time on the page (it was the browser's local 12-hour time).
    assert re.fullmatch(r"updated \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", r["status"]), r["status"]
    web, down = r["targets"][NAMES[0]], r["targets"][NAMES[2]]
    assert web["h1"] == NAMES[0] and web["state"] == "up"
    assert set(web["graphs"]) == {"3h", "30h", "10d", "360d"}
    for g in web["graphs"].values():
        assert g["points"] > 0, web["graphs"]
    assert down["state"] == "down"
    assert down["graphs"]["3h"]["points"] == 0 and down["graphs"]["3h"]["lost"] > 0, down
    assert down["graphs"]["3h"]["events"] >= 1, down
    for page in (web, down):
        assert "zoomed" in page["zoomed"], page
        for g in page["graphs"].values():  # "1 event", "2 events" (it said "1 events")
            m = re.match(r"(\d+) (points?) \(\w+\), (\d+) (events?)", g["info"])
            assert m and int(m[3]) == g["events"], g
            assert (m[2] == "point") == (m[1] == "1") and (m[4] == "event") == (m[3] == "1"), g
    assert web["zoomed_points"] > 0, web
    bad = [m for m in r["console"] if re.search("Content Security Policy|Refused to|Uncaught", m)]
    assert not bad, bad
    for f in ("overview.png", "target-web_1.png", "target-db_down.png"):
        assert (out / f).stat().st_size > 10000, f


def test_chromium_shows_the_path_that_changed(lab, reach, tmp_path):
    """The target's page shows the last up path beside the last trace, the hop that differs
    highlighted, and its Trace now button asks for a trace (a `path` event with trigger api).

        client - r1 - r2a - server      r1 routes the target via r2a, then via r2b
                    \\- r2b -/
    """
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver not installed (scripts/install-deps.sh)")
    client, r1, server, hop1, via_a, via_b = two_routes(lab)
    target = "198.19.77.1"
    cfg = daemon_config(tmp_path, [{"name": "t", "host": target}], failures=2, successes=2)
    events = tmp_path / "events.ndjson"
    proc = start_daemon(client, reach, cfg, events)
    paths = lambda trigger: [e for e in events_of(events, "path") if e["trigger"] == trigger]
    try:
        assert wait_for(lambda: paths("start"), 20), events_of(events)
        r1.ip("route", "replace", "198.19.77.0/24", "via", via_b)
        block_icmp(server, True)
        assert wait_for(lambda: paths("down"), 30), events_of(events)

        out = artifacts()
        argv = [lablib.python_bin(), "-B", str(BROWSER), "--url", URL, "--out", str(out),
                "--profile", str(tmp_path / "chromium"), "--timeout", "90", "--path-target", "t"]
        r = run_browser(client, argv)
        (out / "path-result.json").write_text(json.dumps(r, indent=1))
        rows = {row["ttl"]: row for row in r["rows"]}
        assert sorted(rows) == [1, 2, 3], r
        assert rows[1]["cells"] == ["1", hop1, hop1, "same"] and not rows[1]["class"], rows
        assert rows[2]["cells"] == ["2", via_a, via_b, "changed"] and rows[2]["class"] == "changed", rows
        assert rows[3]["cells"] == ["3", target, "*", "removed"] and rows[3]["class"] == "changed", rows
        assert rows[2]["background"] != rows[1]["background"], rows  # highlighted, not only a class
        assert r["changed"] == "true" and "the path changed" in r["info"], r
        # Trace now: a new trace while down, through r2b, still differing at hop 2.
        api = paths("api")
        assert len(api) == 1 and api[0]["path"]["state"] == "down", api
        after = {row["ttl"]: row for row in r["after"]["rows"]}
        assert after[2]["cells"][1:3] == [via_a, via_b] and after[2]["class"] == "changed", after
        bad = [m for m in r["console"] if re.search("Content Security Policy|Refused to|Uncaught", m)]
        assert not bad, bad
        for f in ("path-t.png", "path-t-traced.png"):
            assert (out / f).stat().st_size > 10000, f
    finally:
        lab.stop(proc)
