#!/usr/bin/python3
"""A webhook receiver for the `reach watch` lab tests (stdlib only): every POST is appended to
--out as one JSON line {"path", "key" (Idempotency-Key header), "body" (parsed JSON or text)}
and answered 200 (or --status), --delay seconds after it was recorded (an answer on its way
while the sender is told to stop). Prints "ready" once listening; exits after --max-seconds."""

import http.server
import json
import time

import lab_server


def main() -> None:
    a = lab_server.parse_args(("--status", {"type": int, "default": 200}), ("--delay", {"type": float, "default": 0}))
    record = lab_server.Record(a.out)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            record.append({"path": self.path, "key": self.headers.get("Idempotency-Key"), "body": body})
            time.sleep(a.delay)
            self.send_response(a.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    lab_server.serve(a, http.server.ThreadingHTTPServer, Handler)


if __name__ == "__main__":
    main()
