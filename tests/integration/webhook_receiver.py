#!/usr/bin/python3
"""A webhook receiver for the `reach watch` lab tests (stdlib only): every POST is appended to
--out as one JSON line {"path", "key" (Idempotency-Key header), "body" (parsed JSON or text)}
and answered 200 (or --status). Prints "ready" once listening; exits after --max-seconds."""

import argparse
import http.server
import json
import threading


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            with lock, open(a.out, "a") as f:
                f.write(json.dumps({"path": self.path, "key": self.headers.get("Idempotency-Key"),
                                    "body": body}) + "\n")
            self.send_response(a.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        address_family = __import__("socket").AF_INET6 if ":" in a.bind else __import__("socket").AF_INET

    srv = Server((a.bind, a.port), Handler)
    t = threading.Timer(a.max_seconds, srv.shutdown)
    t.daemon = True
    t.start()
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
