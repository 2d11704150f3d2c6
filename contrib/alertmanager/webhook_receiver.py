#!/usr/bin/python3
"""A minimal Alertmanager webhook receiver (Python standard library only), to start from.

Alertmanager POSTs its version 4 webhook payload (docs/WATCH-EXPORTS.md shows one); this prints
one line per alert ("FIRING ReachTargetDownQuorum web1: web1 is down from 2 agents") and, with
--out FILE, appends each payload as one JSON line. Answer 2xx only once the alert is handled:
Alertmanager retries anything else.

    webhook_receiver.py --listen 127.0.0.1:9099 [--out alerts.jsonl]
"""

import argparse
import http.server
import json
import sys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:9099", help="HOST:PORT (default 127.0.0.1:9099)")
    ap.add_argument("--out", help="append every payload as one JSON line to this file")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(n))
                alerts = body["alerts"]
            except (ValueError, KeyError, TypeError):
                self.send_response(400)
                self.end_headers()
                return
            for al in alerts:
                labels, notes = al.get("labels", {}), al.get("annotations", {})
                print(f"{al.get('status', '?').upper()} {labels.get('alertname', '?')} "
                      f"{labels.get('target', labels.get('instance', ''))}: {notes.get('summary', '')}", flush=True)
            if a.out:
                with open(a.out, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"path": self.path, "body": body}) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
    print(f"listening on {a.listen}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
