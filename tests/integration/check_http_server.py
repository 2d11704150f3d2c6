#!/usr/bin/python3
"""HTTP(S) server for the `reach check` lab tests (stdlib http.server only).

Paths:
  /rackspace   {"nodes":[...]}   (Rackspace Cloud Load Balancers shape)   \\ 401 unless the
  /octavia     {"members":[...]} (OpenStack Octavia shape)                / X-Auth-Token matches
  /select      {"data":{"pool":[{"ip":..,"svc":{"port":..}}]}} (any other shape)
  /unknown     {"servers":[]}    (a shape reach must refuse)
  /broken      malformed JSON
  /ok          200 "healthy"     /fail  500     /wrongbody  200 "maintenance"
  /slow        answers after 5 s
  /big         200, 100 000 bytes of 'a' (a regex that backtracks per byte would crash)
  /agent       200, the request's User-Agent as the body
  /slow/PATH   PATH, after 3 s
  anything else 404
--nodes is a JSON list of [address, port] the node lists carry. Prints "ready" once listening
(HTTP on --port, HTTPS on --tls-port with --cert/--key when given); exits after --max-seconds.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="::")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-port", type=int)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--token", default="s3cret")
    ap.add_argument("--nodes", default="[]")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()
    nodes = json.loads(a.nodes)

    docs = {
        "/rackspace": {"nodes": [{"id": 400 + i, "address": h, "port": p, "condition": "ENABLED",
                                  "status": "ONLINE", "weight": 1} for i, (h, p) in enumerate(nodes)]},
        "/octavia": {"members": [{"id": f"m{i}", "name": f"member-{i}", "address": h,
                                  "protocol_port": p, "admin_state_up": True,
                                  "operating_status": "ONLINE"} for i, (h, p) in enumerate(nodes)]},
        "/select": {"data": {"pool": [{"ip": h, "svc": {"port": p}} for h, p in nodes]}},
        "/unknown": {"servers": []},
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def reply(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path.startswith("/slow/"):
                time.sleep(3)
                path = path[len("/slow"):]
            if path in docs or path == "/broken":
                if self.headers.get("X-Auth-Token") != a.token:
                    return self.reply(401, b'{"unauthorized":{"code":401}}', "application/json")
                if path == "/broken":
                    return self.reply(200, b'{"nodes":[{"address":', "application/json")
                return self.reply(200, json.dumps(docs[path]).encode(), "application/json")
            if path == "/ok":
                return self.reply(200, b"healthy\n")
            if path == "/fail":
                return self.reply(500, b"internal error\n")
            if path == "/wrongbody":
                return self.reply(200, b"maintenance\n")
            if path == "/big":
                return self.reply(200, b"a" * 100_000)
            if path == "/agent":
                return self.reply(200, self.headers.get("User-Agent", "").encode() + b"\n")
            if path == "/slow":
                time.sleep(5)
                return self.reply(200, b"late\n")
            return self.reply(404, b"not found\n")

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    servers = [Server((a.bind, a.port), Handler)]
    if a.tls_port:
        tls = Server((a.bind, a.tls_port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("ready", flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + a.max_seconds
    while time.monotonic() < deadline and os.getppid() == parent:
        time.sleep(0.5)
    sys.exit(0)


if __name__ == "__main__":
    main()
