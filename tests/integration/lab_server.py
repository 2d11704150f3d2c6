"""What the lab's small recording servers share (stdlib only; run as scripts, so they import this
from their own directory): the command line (--bind, --port, --out, --max-seconds), the JSON-lines
record of what arrived, and serving with "ready" once listening until --max-seconds."""

import argparse
import json
import socket
import threading


def parse_args(*extra: tuple[str, dict]) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-seconds", type=float, default=300)
    for flag, kw in extra:
        ap.add_argument(flag, **kw)
    return ap.parse_args()


class Record:
    """Appends one JSON line per call to the --out file; handler threads share one."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()

    def append(self, obj: dict) -> None:
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(obj) + "\n")


def serve(a: argparse.Namespace, base: type, handler: type) -> None:
    """Serve `handler` with a threading `base` server on --bind/--port (v4 or v6), print "ready"
    once listening, and stop after --max-seconds so a forgotten server cannot outlive its lab."""

    class Server(base):
        address_family = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
        allow_reuse_address = True
        daemon_threads = True

    srv = Server((a.bind, a.port), handler)
    t = threading.Timer(a.max_seconds, srv.shutdown)
    t.daemon = True
    t.start()
    print("ready", flush=True)
    srv.serve_forever()
