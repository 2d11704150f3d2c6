#!/usr/bin/python3
"""Tiny TCP/UDP listener for the reach test lab (stdlib only).

TCP ports accept connections and, by --mode: close them at once ("close"), echo what they
receive until the peer closes ("echo"), or keep them open until the peer closes ("hold").
UDP ports echo every datagram back. Sockets are dual-stack (IPv6 socket with V6ONLY off) when
--bind is "::". Prints "ready" once every socket listens; exits on SIGTERM/SIGINT or after
--max-seconds, or once its parent process is gone. At most --max-conns connections are kept open at once.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import time


def make_socket(kind: int, bind: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6 and bind == "::":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((bind, port))
    if kind == socket.SOCK_STREAM:
        s.listen(512)
    s.setblocking(False)
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tcp", type=int, action="append", default=[])
    ap.add_argument("--udp", type=int, action="append", default=[])
    ap.add_argument("--bind", default="::")
    ap.add_argument("--mode", choices=["close", "echo", "hold"], default="close")
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--max-conns", type=int, default=1000)
    args = ap.parse_args()

    stop = False

    def on_signal(_sig, _frame):
        raise SystemExit(0)  # interrupts select() at once

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sel = selectors.DefaultSelector()
    for p in args.tcp:
        sel.register(make_socket(socket.SOCK_STREAM, args.bind, p), selectors.EVENT_READ, "accept")
    for p in args.udp:
        sel.register(make_socket(socket.SOCK_DGRAM, args.bind, p), selectors.EVENT_READ, "udp")
    print("ready", flush=True)

    conns = 0
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    while not stop and time.monotonic() < deadline and os.getppid() == parent:
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj
            try:
                if key.data == "accept":
                    for _ in range(64):
                        try:
                            c, _addr = sock.accept()
                        except BlockingIOError:
                            break
                        if args.mode == "close" or conns >= args.max_conns:
                            c.close()
                        else:
                            c.setblocking(False)
                            sel.register(c, selectors.EVENT_READ, "conn")
                            conns += 1
                elif key.data == "udp":
                    for _ in range(64):
                        try:
                            data, addr = sock.recvfrom(65535)
                        except BlockingIOError:
                            break
                        sock.sendto(data, addr)
                else:  # an accepted connection
                    data = sock.recv(65536)
                    if not data:
                        sel.unregister(sock)
                        sock.close()
                        conns -= 1
                    elif args.mode == "echo":
                        sock.setblocking(True)
                        sock.settimeout(5)
                        sock.sendall(data)
                        sock.setblocking(False)
            except OSError:
                if key.data == "conn":
                    sel.unregister(sock)
                    sock.close()
                    conns -= 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
