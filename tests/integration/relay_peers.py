"""The two ends of a relayed connection in the relay lab tests, as one script.

backend: accepts on --bind/--port; reads each connection until EOF (raw) or until the end of a
request head (http); appends {"peer", "hex"} to --out; answers ("ok <n>" / an HTTP 200) and
closes. Prints "ready" once listening; exits after --max-seconds.

client: connects to --host/--port (from --source-port if given), sends --data (or --size bytes), shuts its write
side down (half-close: the reply must still come), reads the reply to EOF, and prints
{"local": [addr, port], "reply": hex} as JSON; the socket closes with RST (no TIME_WAIT), so the
same 4-tuple can be used again at once.
"""

import argparse
import json
import socket
import struct
import sys
import threading
import time


def backend(a):
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(128)
    s.settimeout(1)
    lock = threading.Lock()
    print("ready", flush=True)

    def serve(c, peer):
        c.settimeout(10)
        data = b""
        try:
            while len(data) < (1 << 20):
                if a.mode == "http" and b"\r\n\r\n" in data:
                    break
                x = c.recv(65536)
                if not x:
                    break
                data += x
            if not data:
                return  # a health check: connect and close
            with lock, open(a.out, "a") as f:
                f.write(json.dumps({"peer": peer[0], "hex": data.hex(), "port": a.port}) + "\n")
            if a.mode == "http":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            else:
                c.sendall(b"ok %d" % len(data))
        except OSError:
            pass
        finally:
            c.close()

    end = time.monotonic() + a.max_seconds
    while time.monotonic() < end:
        try:
            c, peer = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()


def client(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.source_port:
        c.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.source_port))
    c.settimeout(a.timeout)
    c.connect((a.host, a.port))
    local = c.getsockname()[:2]
    c.sendall(b"x" * a.size if a.size else a.data.encode().decode("unicode_escape").encode("latin-1"))
    c.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        x = c.recv(65536)
        if not x:
            break
        reply += x
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print(json.dumps({"local": list(local), "reply": reply.hex()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["backend", "client"])
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--host")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--source-port", type=int, default=0)
    p.add_argument("--out")
    p.add_argument("--mode", choices=["raw", "http"], default="raw")
    p.add_argument("--data", default="hello")
    p.add_argument("--size", type=int, default=0, help="send this many bytes of 'x' instead of --data")
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--max-seconds", type=float, default=300)
    a = p.parse_args()
    backend(a) if a.role == "backend" else client(a)


if __name__ == "__main__":
    sys.exit(main())
