#!/usr/bin/env python3
"""Capture what a real Alertmanager (Debian's prometheus-alertmanager 0.25) sends to a webhook
receiver, as golden files for format_alertmanager_test.

Inside one lab namespace (tests/lab; nothing leaves it): Alertmanager on 127.0.0.1:9093 with
clustering off, routing every alert grouped by alertname and target to a webhook receiver on
127.0.0.1:9099 (a stdlib HTTP server in this script's child). The script POSTs one alert through
the API v2 (/api/v2/alerts) in reach's shape, firing, then the same alert resolved, and stores the
two webhook bodies as Alertmanager wrote them (only the Go map-order-free JSON is re-indented).
Needs root. Usage:

    sudo python3 tests/unit/golden/alertmanager/capture.py
"""
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "lab"))
from lab import Lab  # noqa: E402

AM = "/usr/bin/prometheus-alertmanager"

CONFIG = """
route:
  receiver: hook
  group_by: [alertname, target]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9099/alert
        send_resolved: true
"""

RECEIVER = r"""
import http.server, sys
out = open(sys.argv[1], "ab")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        out.write(body.strip() + b"\n"); out.flush()
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 9099), H)
s.timeout = 60
s.serve_forever()
"""

ALERT = {
    "labels": {"alertname": "down", "target": "web1", "probe": "icmp", "severity": "critical"},
    "annotations": {"summary": "web1 is down", "description": "timed out"},
    "startsAt": "2026-11-30T10:00:00.5Z",
    "generatorURL": "http://127.0.0.1:9798/api/v1/targets/web1",
}


def post(host, alerts):
    host.run(["curl", "-sS", "--max-time", "5", "-X", "POST", "-H", "Content-Type: application/json",
              "--data-binary", json.dumps(alerts), "http://127.0.0.1:9093/api/v2/alerts"], timeout=10)


def wait_lines(path: Path, n: int, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= n:
            return lines
        time.sleep(0.2)
    raise SystemExit(f"only {len(lines)} webhook bodies after {timeout}s")


def main() -> None:
    with Lab() as lab:
        h = lab.host("am")
        tmp = lab.tmpdir
        (tmp / "am.yml").write_text(CONFIG)
        (tmp / "recv.py").write_text(RECEIVER)
        got = tmp / "bodies.ndjson"
        h.popen(["python3", str(tmp / "recv.py"), str(got)])
        h.popen([AM, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'data'}",
                 "--web.listen-address=127.0.0.1:9093", "--cluster.listen-address=",
                 "--web.external-url=http://127.0.0.1:9093"])
        time.sleep(2)
        post(h, [ALERT])
        firing = wait_lines(got, 1)[0]
        # reach sends the resolution with its own summary; Alertmanager keeps the latest annotations.
        resolved_alert = dict(ALERT, endsAt="2026-11-30T10:05:00Z",
                              annotations={"summary": "web1 is up again", "description": "timed out"})
        post(h, [resolved_alert])
        resolved = wait_lines(got, 2)[1]
        (HERE / "webhook_firing.json").write_text(json.dumps(json.loads(firing), indent=2) + "\n")
        (HERE / "webhook_resolved.json").write_text(json.dumps(json.loads(resolved), indent=2) + "\n")
        (HERE / "api_v2_alerts.json").write_text(json.dumps([ALERT, resolved_alert], indent=2) + "\n")
        print(firing)
        print(resolved)


if __name__ == "__main__":
    main()
