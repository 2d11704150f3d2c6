#!/usr/bin/python3
"""The flood part of bench/relay_bench.py: legitimate clients' success rate and latency p99
through a relay while the lab's client namespace floods it (issue 14).

Two floods, each from several flooder processes (tests/integration/test_relay_flood.py --silent:
standard library only, selectors, RLIMIT_NOFILE raised to its hard limit, about 20,000 here, so
one process holds at most FLOOD_PER_PROC connections):

  one /64   connections from up to 60,000 addresses of one IPv6 /64, opened as fast as
            the flooder can and held without sending a byte (up to 30,000 at once); a connection
            the relay closes is replaced at once, a connect that does not finish in 1 s (a SYN
            dropped by a ban) is given up and retried.
  40 /48s   silent connections spread over 40 /48s, each prefix paced at 40 new connections/s
            (under reach relay's per-prefix rate of 50/s) and holding at most 250 (under its
            256 per /64): no per-prefix limit is met, only the global ones (10,000 wanted).

Legitimate clients: 8 sources in 8 other /48s, a new connection and an HTTP GET every 10 ms,
2 s before the flood (idle p99) and 5 s from 7 s after its start (when it holds what it can); a
request counts as served when the answer starts with "HTTP/1.1 200" within 2 s. Every other
request of that client goes straight to the backend instead (IPv4, no PROXY header): the
control, what the flood costs this 2-CPU lab whatever relays (the flooders' CPU, the kernel's
work on their SYNs), against which a relay's p99 is read. Every loop is
bounded in count and time; the flooders end by themselves after --seconds.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

PORT = 8080
FLOOD_PER_PROC = 10000
ONE_64 = "2001:db8:f1ff:1::"
MANY_48 = [f"2001:db8:f1{0x40 + i:02x}:1::" for i in range(40)]  # inside the lab's 2001:db8:f100::/40
LEGIT = [f"2001:db8:f1{i:02x}:1::1" for i in range(8)]

FLOOD_SCRIPT = Path(__file__).resolve().parents[1] / "tests" / "integration" / "test_relay_flood.py"

# name -> (nets, processes, connections held per net, new connections/s per net or 0: unpaced)
FLOODS = {
    "one /64": ([ONE_64], 3, FLOOD_PER_PROC, 0),
    "40 /48s silent": (MANY_48, 2, 250, 40),
}

LEGIT_CLIENT = r"""
import json, socket, sys, time
relay, seconds, direct, srcs = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
dhost, dport = direct.rsplit(":", 1)
ok = fail = 0
lat, dlat = [], []
deadline = time.monotonic() + seconds
i = 0
while time.monotonic() < deadline and i < 100000:
    t0 = time.monotonic()
    src = srcs[i % len(srcs)]
    i += 1
    # Every other request goes straight to the backend: the same client, the same moment, no relay.
    straight = i % 2 == 0
    try:
        with socket.socket(socket.AF_INET if straight else socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.settimeout(2.0)
            if not straight:
                s.bind((src, 0))
            s.connect((dhost, int(dport)) if straight else (relay, 8080))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            got = b""
            while len(got) < 4096:
                c = s.recv(4096)
                if not c:
                    break
                got += c
        good = got.startswith(b"HTTP/1.1 200")
    except OSError:
        good = False
    if straight:
        if good:
            dlat.append(time.monotonic() - t0)
    else:
        ok += good
        fail += not good
        if good:
            lat.append(time.monotonic() - t0)
    pause = 0.01 - (time.monotonic() - t0)
    if pause > 0:
        time.sleep(pause)
print(json.dumps({"ok": ok, "fail": fail, "lat": lat, "direct_lat": dlat}))
"""


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")


def measure_flood(lab, c, r, spec: dict, relay6: str, wait_port, python: str, direct: str) -> dict:
    """Runs the relay of `spec` afresh once per flood; returns {flood name: {served_pct,
    idle_p99_ms, p99_ms, direct_idle_p99_ms, direct_p99_ms, held}} (or {"error": ...}). `direct`
    is the backend's HOST:PORT without PROXY protocol, asked every other request as the control:
    what the flood costs the machine (SYNs, the flooders' CPU) whatever relays."""
    out: dict = {}
    for name, (nets, procs, hold, rate) in FLOODS.items():
        argv = spec.get("flood_argv", spec["argv"])
        proc = r.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        floods = []
        try:
            if not wait_port(r, PORT):
                out[name] = {"error": "did not listen"}
                continue
            time.sleep(0.5)
            idle = json.loads(c.run([python, "-c", LEGIT_CLIENT, relay6, "2", direct, *LEGIT], timeout=60).stdout)
            seconds = 14.0
            for p in range(procs):
                mine = nets[p::procs] if len(nets) >= procs else nets
                floods.append(c.popen([python, str(FLOOD_SCRIPT), "--silent", "--relay", relay6, "--hold", str(hold),
                                       "--rate", str(rate), "--seconds", str(seconds),
                                       *[x for n in mine for x in ("--src", n)]], stdout=subprocess.PIPE))
            time.sleep(7.0)  # the floods hold what they can by now (the paced one needs ~6 s)
            busy = json.loads(c.run([python, "-c", LEGIT_CLIENT, relay6, "5", direct, *LEGIT], timeout=60).stdout)
            stats = [json.loads(f.communicate(timeout=60)[0].strip().splitlines()[-1]) for f in floods]
            floods = []
            total = busy["ok"] + busy["fail"]
            out[name] = {"served_pct": 100.0 * busy["ok"] / max(1, total),
                         "idle_p99_ms": pct(idle["lat"], 0.99) * 1e3,
                         "p99_ms": pct(busy["lat"], 0.99) * 1e3,
                         "direct_idle_p99_ms": pct(idle["direct_lat"], 0.99) * 1e3,
                         "direct_p99_ms": pct(busy["direct_lat"], 0.99) * 1e3,
                         "held": sum(s["peak"] for s in stats),
                         "attempts": sum(s["attempts"] for s in stats)}
        finally:
            for f in floods:
                lab.stop(f)
            lab.stop(proc)
            r.run(["nft", "delete", "table", "inet", "reach"], check=False)
            time.sleep(1.0)  # the flood's sockets leave the relay namespace's tables
    return out


def print_table(meds: dict[str, dict]) -> None:
    """meds: tool -> flood name -> medians."""
    print("\nunder a flood (medians): legitimate requests served %, p99 ms (idle p99 ms), the same client's "
          "p99 ms straight to the backend meanwhile (idle), flood connections held")
    print(f"{'tool':14} " + " ".join(f"{n:>44}" for n in FLOODS))
    for tool, per in meds.items():
        cells = []
        for n in FLOODS:
            m = per.get(n, {})
            cells.append(f"{m['served_pct']:6.1f}% {m['p99_ms']:7.1f} ({m['idle_p99_ms']:4.1f}) "
                         f"{m.get('direct_p99_ms', float('nan')):6.1f} ({m.get('direct_idle_p99_ms', float('nan')):4.1f}) "
                         f"{m['held']:6.0f}"
                         if "served_pct" in m else f"{m.get('error', '-'):>44}")
        print(f"{tool:14} " + " ".join(f"{x:>44}" for x in cells))
