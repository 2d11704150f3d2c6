#!/usr/bin/python3
"""`reach watch` against fping, check_icmp and blackbox_exporter (issue 11, "Benchmark").

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could not
run (not root, a binary missing, the lab could not be built).

Lab (tests/lab/lab.py): client <-> server on one veth link; every address of 198.19.0.0/16 is
local to the server (`ip route add local ... dev lo`), so the server's kernel answers an echo to
any of them and one neighbour entry serves all. Targets are the first N addresses. Everything
runs in the client namespace; CPU is read from /proc/PID/stat (daemons, over a window) or from
wait4 (one-shot tools), kernel packet counts from the client namespace's /proc/net/snmp and
socket drops from its /proc/net/raw. Side by side, in one run:

  1. ICMP CPU per probe at each --targets N (1 echo per target per round, 1 s interval):
       reach watch --config (daemon, over --seconds after a warm-up)
       reach watch -c R --no-live (CLI, R = --rounds)
       fping -C R -q -p 1000 -i 0.1 -t 1000
       check_icmp -n R -i 0.1 -I 0.1 -t 60 (the Nagios plugin; CPU is all it is timed on)
  2. The daemon at each N: fraction of a core, the replies the namespace's kernel received
     against what reach counted, raw socket drops since start, during a /metrics scrape and
     after the loop stalled (SIGSTOP for 1.5 s, by pid), RSS per target (VmRSS minus VmRSS of
     the same daemon with no target, / N).
  3. /probe: --requests requests (half `icmp`, half `tcp_connect`, to lab targets) served with
     --concurrency at a time by reach watch (listen:) and by prometheus-blackbox-exporter,
     with one modules file; CPU seconds of each server process per request.
  4. History: the database (plus its -wal) after the daemon ran --db-seconds with N targets,
     bytes per stored sample.
  5. RTT against a wire tap (bench/wire_sniff.py on the client's veth) at 1 target and at N:
     reach's RTT per round minus the RTT the tap saw for the same echo.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

PREFIX = "198.19.0.0/16"
RUN_TIMEOUT = 300.0
CHECK_ICMP = "/usr/lib/nagios/plugins/check_icmp"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
REACH_PORT, BLACKBOX_PORT = 9798, 9115
TICK = os.sysconf("SC_CLK_TCK")

MODULES = """modules:
  icmp:
    prober: icmp
    timeout: 2s
    icmp:
      preferred_ip_protocol: ip4
  tcp_connect:
    prober: tcp
    timeout: 2s
    tcp:
      preferred_ip_protocol: ip4
"""

# Sends the /probe request mix from inside the namespace: a bounded thread pool, each request
# with a timeout, one connection per request ("close") or one kept per thread ("keep", as
# Prometheus scrapes); prints how many came back 200 with probe_success 1.
CLIENT = r"""
import concurrent.futures, http.client, json, sys, threading
port, n, conc, keep, targets = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "keep", sys.argv[5:]
local = threading.local()
def one(i):
    t = targets[i % len(targets)]
    mod = "icmp" if i % 2 == 0 else "tcp_connect"
    path = f"/probe?module={mod}&target={t if mod == 'icmp' else t + ':80'}"
    for attempt in range(2):  # a kept connection the server closed is reopened once
        try:
            if not keep or getattr(local, "c", None) is None:
                local.c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            local.c.request("GET", path, headers={} if keep else {"Connection": "close"})
            r = local.c.getresponse()
            body = r.read().decode()
            if not keep:
                local.c.close(); local.c = None
            return r.status == 200 and "probe_success 1" in body
        except Exception:
            local.c = None
    return False
with concurrent.futures.ThreadPoolExecutor(conc) as ex:
    ok = sum(ex.map(one, range(n)))
print(json.dumps({"ok": ok, "n": n}))
"""


# --------------------------------------------------------------------------- process readings

def cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process (all its threads)."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(f[11]) / TICK, int(f[12]) / TICK  # utime, stime (fields 14, 15)


def cpu_s(pid: int) -> float:
    return sum(cpu_split(pid))


def rss_kb(pid: int) -> int:
    m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m.group(1)) if m else 0


def snmp(host: lablib.Host) -> dict[str, int]:
    """Icmp counters of the namespace (OutEchos, InEchoReps, ...)."""
    lines = [l.split() for l in host.run(["cat", "/proc/net/snmp"]).stdout.splitlines() if l.startswith("Icmp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def raw_drops(host: lablib.Host) -> int:
    """Sum of the drops column of the namespace's raw sockets (IPv4 and IPv6)."""
    total = 0
    for f in ("/proc/net/raw", "/proc/net/raw6"):
        for line in host.run(["cat", f]).stdout.splitlines()[1:]:
            total += int(line.split()[-1])
    return total


def run_timed(host: lablib.Host, argv: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU (user+system of the child and its children, from wait4) of one run."""
    r0, t0 = os.times(), time.perf_counter()
    proc = subprocess.run(host.wrap(argv), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    wall, r1 = time.perf_counter() - t0, os.times()
    return wall, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system), proc


def scrape(host: lablib.Host, port: int) -> str:
    return host.run(["curl", "-sf", "--max-time", "20", f"http://127.0.0.1:{port}/metrics"], timeout=30).stdout


def counter_sum(text: str, name: str) -> float:
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name + "{") or
               l.startswith(name + " "))


# --------------------------------------------------------------------------- reach daemon

class Daemon:
    """reach watch --config in the client namespace; stopped (SIGTERM, then kill) by its pid."""

    def __init__(self, lab: lablib.Lab, host: lablib.Host, targets: list[str], name: str,
                 db: bool = False, listen: bool = True, events: bool = False):
        self.lab, self.host, self.dir = lab, host, lab.tmpdir / name
        self.dir.mkdir()
        (self.dir / "blackbox.yml").write_text(MODULES)
        cfg = [f'modules: {self.dir / "blackbox.yml"}', "defaults: { interval: 1s, timeout: 1s, packets: 1 }"]
        if listen:
            cfg.insert(0, f'listen: "127.0.0.1:{REACH_PORT}"')
        if db:
            cfg.insert(0, f"db: {self.dir / 'watch.db'}")
        cfg.append("targets:" + ("" if targets else " []"))
        cfg += [f"  - {{ name: t{i}, host: {t} }}" for i, t in enumerate(targets)]
        (self.dir / "watch.yml").write_text("\n".join(cfg) + "\n")
        argv = [str(lablib.reach_bin()), "watch", "--config", str(self.dir / "watch.yml")]
        if events:
            argv += ["--events", str(self.dir / "events.ndjson")]
        self.proc = host.popen(argv, stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "wb"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise lablib.LabError(f"reach watch exited {self.proc.returncode}: "
                                      f"{(self.dir / 'stderr.log').read_text()[-2000:]}")
            if not listen or host.run(["curl", "-sf", "--max-time", "2", f"http://127.0.0.1:{REACH_PORT}/-/ready"],
                                      check=False, timeout=10).returncode == 0:
                break
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        # A loaded machine may need a while to write the last events and history of 10,000 targets.
        self.lab.stop(self.proc, timeout=20)


def daemon_window(lab, client, targets: list[str], seconds: float, warmup: float, db: bool = False) -> dict:
    """CPU, packets and drops of the daemon over `seconds` of steady state."""
    d = Daemon(lab, client, targets, f"daemon{len(targets)}{'db' if db else ''}", db=db)
    try:
        time.sleep(warmup)
        k0, drops0, (u0, s0), w0 = snmp(client), raw_drops(client), cpu_split(d.pid), time.monotonic()
        time.sleep(seconds)
        (u1, s1), w1, k1, drops1 = cpu_split(d.pid), time.monotonic(), snmp(client), raw_drops(client)
        c0, c1 = u0 + s0, u1 + s1
        rss, drops_before_scrape = rss_kb(d.pid), raw_drops(client)
        t_scrape = time.monotonic()
        m = scrape(client, REACH_PORT)
        t_scrape = time.monotonic() - t_scrape
        time.sleep(1)  # replies the scrape held up are read (or were dropped) by now
        drops_after_scrape = raw_drops(client)
        # A stalled loop (SIGSTOP for 1.5 s, as a VM pause or a slow disk would): every round is
        # then due at once; count what the socket drops while the loop catches up.
        os.kill(d.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(d.pid, signal.SIGCONT)
        time.sleep(2)
        stall_drops = raw_drops(client) - drops_after_scrape
        sent, recv = counter_sum(m, "reach_watch_packets_sent_total"), counter_sum(m, "reach_watch_packets_received_total")
        rounds = counter_sum(m, "reach_watch_rounds_total")
        failed = counter_sum(m, "reach_watch_rounds_failed_total")
        res = {"targets": len(targets), "seconds": w1 - w0, "cpu_s": c1 - c0, "user_s": u1 - u0,
               "core": (c1 - c0) / (w1 - w0),
               "echoes": k1["OutEchos"] - k0["OutEchos"], "replies_kernel": k1["InEchoReps"] - k0["InEchoReps"],
               "raw_drops": drops1 - drops0, "raw_drops_since_start": drops_before_scrape,
               "scrape_s": t_scrape, "raw_drops_during_scrape": drops_after_scrape - drops_before_scrape,
               "raw_drops_after_stall": stall_drops,
               "rss_kb": rss, "sent_total": sent, "received_total": recv,
               "rounds_total": rounds, "rounds_failed_total": failed}
        res["us_per_probe"] = res["cpu_s"] / max(res["echoes"], 1) * 1e6
        if db:
            d.stop()
            res["db_bytes"] = sum((d.dir / f).stat().st_size for f in ("watch.db", "watch.db-wal")
                                  if (d.dir / f).exists())
            res["db_main_bytes"] = (d.dir / "watch.db").stat().st_size
        return res
    finally:
        d.stop()


# --------------------------------------------------------------------------- /probe

def serve_probes(client: lablib.Host, pid: int, port: int, n: int, conc: int, targets: list[str]) -> dict:
    """CPU of the server process `pid` while it answers n /probe requests, conc at a time, with
    a new connection per request and with kept connections."""
    client.run([lablib.python_bin(), "-c", CLIENT, str(port), "20", "4", "keep", *targets], timeout=120)  # warm-up
    res = {}
    for conn in ("close", "keep"):
        (u0, s0), t0 = cpu_split(pid), time.monotonic()
        r = client.run([lablib.python_bin(), "-c", CLIENT, str(port), str(n), str(conc), conn, *targets],
                       timeout=RUN_TIMEOUT)
        (u1, s1), t1 = cpu_split(pid), time.monotonic()
        res[conn] = {"requests": n, "ok": json.loads(r.stdout)["ok"], "wall_s": t1 - t0, "cpu_s": u1 - u0 + s1 - s0,
                     "user_s": u1 - u0, "us_per_request": (u1 - u0 + s1 - s0) / n * 1e6}
    return res


def probe_bench(lab: lablib.Lab, client: lablib.Host, targets: list[str], n: int, conc: int) -> dict:
    res = {}
    d = Daemon(lab, client, [], "probe")
    try:
        res["reach watch"] = serve_probes(client, d.pid, REACH_PORT, n, conc, targets)
    finally:
        d.stop()
    cfg = lab.tmpdir / "blackbox.yml"
    cfg.write_text(MODULES)
    bb = client.popen([BLACKBOX, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}"],
                      stdout=subprocess.DEVNULL, stderr=open(lab.tmpdir / "blackbox.log", "wb"))
    try:
        deadline = time.monotonic() + 20
        while client.run(["curl", "-sf", "--max-time", "2", f"http://127.0.0.1:{BLACKBOX_PORT}/-/healthy"],
                         check=False, timeout=10).returncode != 0:
            if time.monotonic() > deadline or bb.poll() is not None:
                raise lablib.LabError("blackbox_exporter did not start: " + (lab.tmpdir / "blackbox.log").read_text()[-1000:])
            time.sleep(0.2)
        res["blackbox_exporter"] = serve_probes(client, bb.pid, BLACKBOX_PORT, n, conc, targets)
    finally:
        lab.stop(bb)
    return res


# --------------------------------------------------------------------------- RTT against the wire

def pct(vals: list[float], q: float) -> float:
    s = sorted(vals)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))] if s else float("nan")


def wire_bench(lab: lablib.Lab, client: lablib.Host, iface: str, targets: list[str], seconds: float) -> dict:
    """reach's RTT per round minus the RTT bench/wire_sniff.py saw for the same echo (µs)."""
    name = f"wire{len(targets)}"
    cap = lab.tmpdir / f"{name}.json"
    sniff = client.popen([lablib.python_bin(), str(REPO / "bench" / "wire_sniff.py"), "--if", iface, "--out", str(cap),
                          "--max-seconds", str(seconds + 60), "--with-addr"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=False, bufsize=0)
    lablib._wait_for_line(sniff, b"ready", timeout=10)
    d = Daemon(lab, client, targets, name, listen=False, events=True)
    try:
        time.sleep(seconds)
    finally:
        d.stop()
        lab.stop(sniff, timeout=10)
    w = json.loads(cap.read_text())
    out = {tuple(k[1:]): t for t, k in zip(w["out"], w["out_keys"])}
    sends: dict[str, list[tuple[int, int]]] = {}   # addr -> [(wire out ns, wire rtt ns)]
    for t, k in zip(w["in"], w["in_keys"]):
        if tuple(k[1:]) in out:
            sends.setdefault(k[3], []).append((out[tuple(k[1:])], t - out[tuple(k[1:])]))
    addr_of = {f"t{i}": a for i, a in enumerate(targets)}
    errs, rounds = [], 0
    for line in (d.dir / "events.ndjson").read_text().splitlines():
        ev = json.loads(line)
        if ev.get("type") != "round" or not ev.get("rtts_ns"):
            continue
        rounds += 1
        start = int(ev["time"] * 1e9)
        cands = [s for s in sends.get(addr_of[ev["target"]], []) if -5_000_000 <= s[0] - start <= 200_000_000]
        if cands:
            errs.append((ev["rtts_ns"][0] - min(cands)[1]) / 1000)
    return {"targets": len(targets), "rounds": rounds, "matched": len(errs),
            "wire_echoes": len(w["out"]), "median_us": pct(errs, 0.5), "p99_us": pct(errs, 0.99),
            "max_abs_us": max((abs(e) for e in errs), default=float("nan")),
            "wire_rtt_median_us": pct([r / 1000 for v in sends.values() for _, r in v], 0.5)}


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="1000,10000", help="comma-separated target counts")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the one-shot tools (default 5)")
    ap.add_argument("--seconds", type=float, default=10, help="daemon measuring window (default 10)")
    ap.add_argument("--warmup", type=float, default=4, help="daemon warm-up before the window (default 4)")
    ap.add_argument("--requests", type=int, default=2000, help="/probe requests per server and mode (default 2000)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--db-seconds", type=float, default=20, help="daemon run with a database (default 20)")
    ap.add_argument("--no-wire", action="store_true", help="skip the wire-tap RTT comparison")
    ap.add_argument("--wire-seconds", type=float, default=6, help="daemon run under the wire tap (default 6)")
    ap.add_argument("--out", help="write raw results as JSON here")
    a = ap.parse_args()
    if not lablib.is_root():
        print("watch_bench: needs root (network namespaces)", file=sys.stderr)
        return 2
    for b in (lablib.reach_bin(), Path(CHECK_ICMP), Path(BLACKBOX), Path("/usr/bin/fping")):
        if not b.exists():
            print(f"watch_bench: {b} missing (scripts/install-deps.sh)", file=sys.stderr)
            return 2
    counts = sorted({int(x) for x in a.targets.split(",")})
    net = ipaddress.ip_network(PREFIX)
    if not counts or counts[0] < 1 or counts[-1] > 60000:
        print("watch_bench: --targets must be 1..60000", file=sys.stderr)
        return 2
    out: dict = {"machine": {"nproc": os.cpu_count(), "kernel": platform.release(),
                             "loadavg_start": os.getloadavg()}, "icmp": {}, "probe": {}}
    with lablib.Lab() as lab:
        p = lab.pair()
        lab.local_addresses(p.server, PREFIX)
        client = p.client
        addrs = [str(net.network_address + 1 + i) for i in range(counts[-1])]
        tmp = lab.tmpdir

        # 1 + 2. ICMP CPU per probe, the daemon's core, loss, drops and memory.
        base = Daemon(lab, client, [], "daemon0")
        time.sleep(1)
        out["rss_kb_0_targets"] = rss_kb(base.pid)
        base.stop()
        for n in counts:
            t = addrs[:n]
            (tmp / f"hosts{n}.txt").write_text("\n".join(t) + "\n")
            row = {}
            row["reach watch (daemon)"] = daemon_window(lab, client, t, a.seconds, a.warmup)
            print(f"[{n}] daemon {row['reach watch (daemon)']}", file=sys.stderr, flush=True)
            tools = {
                f"reach watch -c {a.rounds} (CLI)": [str(lablib.reach_bin()), "watch", "-c", str(a.rounds),
                                                     "--no-live", "-i", "1s", "-W", "1s", "--packets", "1", *t],
                f"fping -C {a.rounds}": ["fping", "-C", str(a.rounds), "-q", "-p", "1000", "-i", "0.1", "-t",
                                         "1000", "-f", str(tmp / f"hosts{n}.txt")],
                f"check_icmp -n {a.rounds}": [CHECK_ICMP, "-n", str(a.rounds), "-i", "0.1", "-I", "0.1",
                                              "-t", "120", "-w", "5000,100%", "-c", "5000,100%", *t],
            }
            for name, argv in tools.items():
                k0 = snmp(client)
                wall, cpu, proc = run_timed(client, argv)
                k1 = snmp(client)
                echoes = k1["OutEchos"] - k0["OutEchos"]
                row[name] = {"wall_s": wall, "cpu_s": cpu, "echoes": echoes,
                             "replies_kernel": k1["InEchoReps"] - k0["InEchoReps"], "exit": proc.returncode,
                             "us_per_probe": cpu / max(echoes, 1) * 1e6}
                print(f"[{n}] {name}: {row[name]}", file=sys.stderr, flush=True)
            out["icmp"][n] = row

        # 4. History: the same daemon with a database, at the largest N.
        n = counts[-1]
        out["db"] = daemon_window(lab, client, addrs[:n], a.db_seconds, a.warmup, db=True)
        print(f"[{n}] daemon with db: {out['db']}", file=sys.stderr, flush=True)

        # 3. /probe, half icmp and half tcp_connect (port 80 of the server: a listener).
        p.server.listen(tcp=[80])
        out["probe"] = probe_bench(lab, client, addrs[:50], a.requests, a.concurrency)
        print(f"probe: {out['probe']}", file=sys.stderr, flush=True)

        # 5. RTT against a wire tap.
        if not a.no_wire:
            iface = client.iface_to(p.server)
            out["wire"] = [wire_bench(lab, client, iface, addrs[:k], a.wire_seconds) for k in sorted({1, counts[-1]})]
            print(f"wire: {out['wire']}", file=sys.stderr, flush=True)
    out["machine"]["loadavg_end"] = os.getloadavg()
    report(out, a)
    if a.out:
        Path(a.out).write_text(json.dumps(out, indent=1))
    return 0


def report(out: dict, a) -> None:
    """Markdown tables on stdout (docs/BENCHMARKS.md explains them)."""
    m = out["machine"]
    print(f"machine: {m['nproc']} CPUs, kernel {m['kernel']}, load average {m['loadavg_start'][0]:.2f} at start, "
          f"{m['loadavg_end'][0]:.2f} at end\n")
    print("### ICMP: CPU per probe (1 echo per target per round)\n")
    print("| targets | tool | echoes | replies | wall s | CPU s | µs CPU / echo | × reach daemon |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, row in out["icmp"].items():
        base = row["reach watch (daemon)"]["us_per_probe"]
        for name, r in row.items():
            wall = r.get("wall_s", r.get("seconds"))
            print(f"| {n} | {name} | {r['echoes']} | {r['replies_kernel']} | {wall:.2f} | {r['cpu_s']:.2f} | "
                  f"{r['us_per_probe']:.1f} | {r['us_per_probe'] / base if base else float('nan'):.2f} |")
    print("\n### The daemon at 1 s interval\n")
    print("| targets | db | core (user) | echoes/s | window: echoes answered (kernel) | since start: reach's echoes sent / answered | raw socket drops since start | /metrics scrape s (drops during it) | drops after a 1.5 s stall | RSS KiB | RSS / target |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [(n, "no", row["reach watch (daemon)"]) for n, row in out["icmp"].items()] + [(a_n, "yes", out["db"])
                                                                                         for a_n in [out["db"]["targets"]]]
    for n, db, r in rows:
        per = (r["rss_kb"] - out["rss_kb_0_targets"]) * 1024 / n
        print(f"| {n} | {db} | {r['core']:.3f} ({r['user_s'] / r['seconds']:.3f}) | {r['echoes'] / r['seconds']:.0f} | "
              f"{r['replies_kernel']} of {r['echoes']} | {r['sent_total']:.0f} / {r['received_total']:.0f} | "
              f"{r['raw_drops_since_start']} | {r['scrape_s']:.2f} ({r['raw_drops_during_scrape']}) | "
              f"{r['raw_drops_after_stall']} | {r['rss_kb']} | {per:.0f} B |")
    print(f"\n(RSS with no target: {out['rss_kb_0_targets']} KiB.)")
    d = out["db"]
    print(f"\n### History\n\n{d['targets']} targets, {d['rounds_total']:.0f} rounds stored: watch.db + -wal "
          f"{d['db_bytes']} bytes ({d['db_main_bytes']} without the WAL) = "
          f"{d['db_bytes'] / max(d['rounds_total'], 1):.0f} bytes per sample.")
    print("\n### /probe (half icmp, half tcp_connect)\n")
    print("| server | connections | requests | probe_success 1 | wall s | CPU s (user) | µs CPU / request | × reach |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for conn in ("close", "keep"):
        base = out["probe"]["reach watch"][conn]["us_per_request"]
        for name, rr in out["probe"].items():
            r = rr[conn]
            print(f"| {name} | {'one per request' if conn == 'close' else 'kept (as Prometheus)'} | {r['requests']} | "
                  f"{r['ok']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} ({r['user_s']:.2f}) | {r['us_per_request']:.0f} | "
                  f"{r['us_per_request'] / base if base else float('nan'):.1f} |")
    if out.get("wire"):
        print("\n### RTT error against the wire (reach − tap, µs)\n")
        print("| targets | rounds | matched | wire RTT median | error median | p99 | max abs |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for w in out["wire"]:
            print(f"| {w['targets']} | {w['rounds']} | {w['matched']} | {w['wire_rtt_median_us']:.1f} | "
                  f"{w['median_us']:.1f} | {w['p99_us']:.1f} | {w['max_abs_us']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
