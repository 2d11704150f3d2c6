"""watch's export formats read by the real consumers (needs root: a lab namespace each).

- RFC 5424 + RFC 6587 octet counting: Debian's rsyslogd (imtcp on the namespace's loopback)
  must parse every message into the fields reach meant, structured data included.

The writer runs through tests/unit's watch_exports_sample (built with the unit tests).
"""
import json
import time
from pathlib import Path

import pytest

import lab as lablib

RSYSLOGD = Path("/usr/sbin/rsyslogd")

RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imtcp")
template(name="fields" type="list" option.jsonf="on") {{
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
ruleset(name="watch") {{ action(type="omfile" file="{out}" template="fields") }}
input(type="imtcp" address="127.0.0.1" port="6514" ruleset="watch")
"""


def sample_bin() -> Path:
    return lablib.build_dir() / "tests" / "unit" / "watch_exports_sample"


def rsyslog_rows(lab, tmp_path, conf_text, out):
    """Run rsyslogd with conf_text in a lab namespace, send it the sample's three framed messages
    over TCP 127.0.0.1:6514 and return the JSON rows it wrote to out."""
    if not RSYSLOGD.exists():
        pytest.skip("rsyslogd not installed (Debian package rsyslog)")
    if not sample_bin().exists():
        pytest.skip(f"{sample_bin()} not built (cmake --build build --target watch_exports_sample)")
    framed = lablib.subprocess.run([str(sample_bin()), "syslog"], capture_output=True, check=True,
                                   timeout=10).stdout
    h = lab.host("sys")
    (tmp_path / "work").mkdir()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(conf_text)
    h.popen([str(RSYSLOGD), "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslog.pid")])
    sender = ("import socket, sys, time\n"
              "data = sys.stdin.buffer.read()\n"
              "for _ in range(50):\n"
              "    try:\n"
              "        s = socket.create_connection(('127.0.0.1', 6514), timeout=2); break\n"
              "    except OSError: time.sleep(0.1)\n"
              "s.sendall(data); s.close()\n")
    r = lablib.subprocess.run(h.wrap(["python3", "-c", sender]), input=framed, capture_output=True,
                              timeout=20)
    assert r.returncode == 0, r.stderr
    rows = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        if len(rows) >= 3:
            break
        time.sleep(0.1)
    assert len(rows) == 3, rows
    return rows


def test_rsyslog_parses_watch_messages(lab, tmp_path):
    out = tmp_path / "parsed.json"
    rows = rsyslog_rows(lab, tmp_path, RSYSLOG_CONF.format(work=tmp_path / "work", out=out), out)
    for row in rows:
        assert row["facility"] == "16" and row["version"] == "1", row
        assert row["hostname"] == "mon1.example.net" and row["app"] == "reach", row
        assert row["procid"] == "4242", row
        assert row["timestamp"].startswith("2026-11-30T10:00:00.123456"), row
    firing, resolved, change = rows
    assert firing["severity"] == "3" and firing["msgid"] == "firing"
    assert firing["sd"] == ('[reach@32473 target="web1" alert="down" from="up" to="down" '
                            'since="2026-11-30T09:59:57.123456Z" reason="timed out"]')
    assert firing["msg"] == "alert down firing for web1: timed out"
    assert resolved["severity"] == "5" and resolved["msgid"] == "resolved"
    assert 'target="we\\"b\\]\\\\1"' in resolved["sd"], resolved["sd"]
    assert resolved["msg"] == 'alert down resolved for we"b]\\1: ok now'
    assert change["severity"] == "4" and change["msgid"] == "state_change"
    assert change["msg"].lstrip("\ufeff") == "wëb is down (was up): ok now"


CONTRIB_RSYSLOG = Path(__file__).resolve().parents[2] / "contrib" / "rsyslog" / "reach-watch.conf"


def test_contrib_rsyslog_recipe_types_the_structured_data(lab, tmp_path):
    """contrib/rsyslog/reach-watch.conf as shipped (only its output path and port moved into the
    lab): rsyslogd turns each message into one JSON document, SD params as fields, numbers as
    JSON numbers, escapes undone, for Logstash/Filebeat (docs/WATCH-EXPORTS.md)."""
    out = tmp_path / "events.json"
    recipe = CONTRIB_RSYSLOG.read_text()
    assert 'file="/var/log/reach/watch-events.json"' in recipe and 'port="601"' in recipe
    recipe = recipe.replace("/var/log/reach/watch-events.json", str(out))
    recipe = recipe.replace('port="601"', 'address="127.0.0.1" port="6514"')
    rows = rsyslog_rows(lab, tmp_path, f'global(workDirectory="{tmp_path / "work"}")\n' + recipe, out)
    firing, resolved, change = rows
    assert firing == {"@timestamp": "2026-11-30T10:00:00.123456Z", "host": "mon1.example.net",
                      "app": "reach", "pid": 4242, "severity": 3, "event": "firing",
                      "target": "web1", "alert": "down", "from": "up", "to": "down",
                      "since": "2026-11-30T09:59:57.123456Z", "reason": "timed out",
                      "message": "alert down firing for web1: timed out"}
    assert resolved["target"] == 'we"b]\\1' and resolved["severity"] == 5, resolved
    assert change["target"] == "wëb" and change["event"] == "state_change", change
    assert all(isinstance(row["pid"], int) and isinstance(row["severity"], int) for row in rows)


def test_python_email_parser_reads_alert_mail():
    """The alert mail as a mail client sees it: Python's RFC 5322/MIME parser (policy.default)."""
    import email
    import email.policy
    if not sample_bin().exists():
        pytest.skip(f"{sample_bin()} not built")
    raw = lablib.subprocess.run([str(sample_bin()), "email"], capture_output=True, check=True,
                                timeout=10).stdout
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in the message"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects, msg.defects
    assert msg["Subject"] == ("[reach] FIRING down: wëb-1 with a rather long name that needs "
                              "folding is down")
    assert msg["To"].addresses[1].addr_spec == "ops2@example.net"
    assert msg["Message-ID"] == "<outbox-42@mon1.example.net>"
    assert msg["Date"].datetime.timestamp() == 1796032800
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content().replace("\r\n", "\n")  # the wire form is CRLF
    assert "Target:  wëb-1 with a rather long name that needs folding\n" in body
    assert "site:    Zürich\n" in body
    assert "Reason:  timed out = no answer in 1 s\n" in body
    assert body.endswith("\n-- \nreach watch on mon1.example.net\n")


PROM_CONFIG = """
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: text
    static_configs: [{{targets: ["127.0.0.1:{text_port}"]}}]
  - job_name: om
    static_configs: [{{targets: ["127.0.0.1:{om_port}"]}}]
"""

SERVE = r"""
import http.server, sys
body = open(sys.argv[2], "rb").read()
ctype = sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.timeout = 60
s.serve_forever()
"""


def test_prometheus_scrapes_text_and_openmetrics(lab, tmp_path):
    """A real Prometheus (Debian's) scrapes watch's /metrics body in both formats, each served with
    the Content-Type prom::negotiate() answers: same series, same values, no scrape error."""
    prometheus = Path("/usr/bin/prometheus")
    if not prometheus.exists():
        pytest.skip("prometheus not installed")
    if not sample_bin().exists():
        pytest.skip(f"{sample_bin()} not built")
    h = lab.host("prom")
    bodies = {}
    for job, mode, ctype, port in (
            ("text", "metrics", "text/plain; version=0.0.4; charset=utf-8", 9801),
            ("om", "metrics-om", "application/openmetrics-text; version=1.0.0; charset=utf-8", 9802)):
        body = lablib.subprocess.run([str(sample_bin()), mode], capture_output=True, check=True,
                                     timeout=10).stdout
        (tmp_path / f"{job}.txt").write_bytes(body)
        bodies[job] = body
        (tmp_path / "serve.py").write_text(SERVE)
        h.popen(["python3", str(tmp_path / "serve.py"), str(port), str(tmp_path / f"{job}.txt"), ctype])
    assert bodies["om"].endswith(b"# EOF\n")
    (tmp_path / "prometheus.yml").write_text(PROM_CONFIG.format(text_port=9801, om_port=9802))
    h.popen([str(prometheus), f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}", "--web.listen-address=127.0.0.1:9090"])

    def query(q: str) -> list:
        # -f: while its storage starts, Prometheus answers 503 with a plain-text body.
        r = h.run(["curl", "-fsS", "--max-time", "3", "--data-urlencode", f"query={q}",
                   "http://127.0.0.1:9090/api/v1/query"], check=False, timeout=10)
        if r.returncode != 0:
            return []
        try:
            return json.loads(r.stdout)["data"]["result"]
        except (ValueError, KeyError):
            return []

    deadline = time.monotonic() + 30
    up = []
    while time.monotonic() < deadline:
        up = query("up")
        if len(up) == 2 and all(u["value"][1] == "1" for u in up):
            break
        time.sleep(0.5)
    assert sorted((u["metric"]["job"], u["value"][1]) for u in up) == [("om", "1"), ("text", "1")], up
    samples = {r["metric"]["job"]: r["value"][1] for r in query("scrape_samples_scraped")}
    assert samples["text"] == samples["om"] and int(samples["text"]) > 30, samples
    for job in ("text", "om"):
        rounds = query(f'reach_watch_rounds_total{{job="{job}",target="web1"}}')
        assert [r["value"][1] for r in rounds] == ["120"], rounds
        assert rounds[0]["metric"]["site"] == 'fra "1"\\\n', rounds  # escaping read back intact
        firing = query(f'reach_watch_alert_firing{{job="{job}",alert="slow"}}')
        assert [r["value"][1] for r in firing] == ["1"], firing
