#!/usr/bin/python3
"""RTT precision of reach ping against iputils ping, fping, hping3 and nping (issue 2).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could
not run (not root, a binary missing) and prints warnings when a tool misbehaved.

What it does, all inside network namespaces built by tests/lab/lab.py (lab addresses only):

  scenario "bare":    client <-veth-> server. The true round trip is a few microseconds, so
                      what a tool reports is almost all its own measurement overhead.
  scenario "delayed": client <-veth-> reach-linkem <-veth-> server, 10 ms each way. The true
                      round trip is 20 ms; a tool's error is (reported - 20 ms). The emulator's
                      own timing error (from its stats) is recorded beside each run.

  load "idle", then load "loaded": stress-ng --cpu <ncpu> (root namespace; it sends nothing),
  bounded by --timeout and stopped by its pid.

Every tool sends COUNT probes (100) at 10 ms intervals, one tool after another (never
concurrently), each in a fresh pair of namespaces of the same shape (static neighbour entries,
so no run pays for ARP). A server listener answers TCP port 80.

Per load there are two passes: the main pass, then (unless --no-wire) the wire pass, which
repeats every run with bench/wire_sniff.py tapping the client's veth and compares each probe's
reported RTT with the RTT the tap saw (kernel timestamps of the probe leaving and the reply
arriving at the client's interface).

Output: markdown tables on stdout (docs/BENCHMARKS.md explains them), progress on stderr, raw
results (every per-probe RTT, emulator statistics, machine) as JSON in --out.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

TRUE_RTT_US = 20_000.0   # delayed scenario: 10 ms each way
RUN_TIMEOUT = 40.0       # hard bound on one tool run (seconds)


# --------------------------------------------------------------------------- statistics

def pct(sorted_vals: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of an already sorted list."""
    if not sorted_vals:
        return math.nan
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[min(k, len(sorted_vals)) - 1]


def describe(vals: list[float]) -> dict:
    s = sorted(vals)
    if not s:
        return {"n": 0}
    return {"n": len(s), "min": s[0], "median": pct(s, 50), "p90": pct(s, 90),
            "p99": pct(s, 99), "max": s[-1], "mean": sum(s) / len(s)}


def decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def resolution_us(texts: list[str]) -> float | None:
    """Coarsest printed resolution (µs) of values printed in ms, e.g. "20.1" -> 100."""
    if not texts:
        return None
    return max(10 ** (3 - decimals(t)) for t in texts)


# --------------------------------------------------------------------------- tools and parsers

def reach_cmd(method: str, count: int, target: str) -> list[str]:
    cmd = [str(lablib.reach_bin()), "ping", f"--{method}"]
    if method == "tcp":
        cmd += ["-p", "80"]
    return cmd + ["-c", str(count), "-i", "0.01", "-W", "1", "--json", target]


def parse_reach(out: str, err: str) -> dict:
    rtts, texts, warn = [], [], []
    seqs, summary, start = [], None, None
    nonkernel = 0
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            warn.append(f"non-JSON line on stdout: {line[:120]!r}")
            continue
        t = ev.get("type")
        if t == "start":
            start = ev
        elif t == "reply":
            if ev.get("dup") or ev.get("late"):
                warn.append(f"dup/late reply seq={ev.get('seq')}")
                continue
            rtts.append(ev["rtt_ns"] / 1000.0)
            texts.append(f"{ev['rtt_ns'] / 1e6:.6f}")
            seqs.append(ev.get("seq"))
            if ev.get("tx_timestamp") != "kernel" or ev.get("rx_timestamp") != "kernel":
                nonkernel += 1
            if abs(ev["rtt_ms"] * 1e6 - ev["rtt_ns"]) > 1000:
                warn.append(f"rtt_ms {ev['rtt_ms']} disagrees with rtt_ns {ev['rtt_ns']}")
        elif t == "summary":
            summary = ev
        elif t in ("timeout", "send_error", "icmp_error"):
            warn.append(f"{t} seq={ev.get('seq')} {ev.get('error', ev.get('icmp_name', ''))}")
    if nonkernel:
        warn.append(f"{nonkernel} replies without kernel timestamps at both ends")
    if len(set(seqs)) != len(seqs):
        warn.append("duplicate seq numbers among replies")
    if start is not None and not start.get("kernel_timestamps"):
        warn.append("start event says kernel_timestamps=false")
    res = {"rtts_us": rtts, "texts": texts, "resolution_us": 0.001, "warnings": warn}
    if summary:
        res["transmitted"] = summary.get("transmitted")
        res["received"] = summary.get("received")
        res["summary"] = {k: summary.get(k) for k in
                          ("rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms", "timestamps",
                           "late", "ignored", "errors", "duplicates")}
        if summary.get("received") != len(rtts):
            warn.append(f"summary received={summary.get('received')} but {len(rtts)} reply "
                        f"events")
        if rtts and summary.get("rtt_avg_ms") is not None:
            mean_ms = sum(rtts) / len(rtts) / 1000.0
            if abs(mean_ms - summary["rtt_avg_ms"]) > 0.001:
                warn.append(f"summary avg {summary['rtt_avg_ms']} ms != mean of replies "
                            f"{mean_ms:.6f} ms")
    else:
        warn.append("no summary event")
    if err.strip():
        res["stderr"] = err.strip()[-500:]
    return res


_PING_RE = re.compile(r"icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms")
_PING_SUM = re.compile(r"(\d+) packets transmitted, (\d+) received")
_PING_RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def parse_ping(out: str, err: str) -> dict:
    texts = [m.group(2) for m in _PING_RE.finditer(out)]
    res = {"rtts_us": [float(t) * 1000 for t in texts], "texts": texts,
           "resolution_us": resolution_us(texts), "warnings": []}
    m = _PING_SUM.search(out)
    if m:
        res["transmitted"], res["received"] = int(m.group(1)), int(m.group(2))
    m = _PING_RTT.search(out)
    if m:  # the summary keeps 3 decimals whatever the per-probe lines print
        res["summary_avg_us"] = float(m.group(2)) * 1000
        res["summary"] = dict(zip(("min_ms", "avg_ms", "max_ms", "mdev_ms"),
                                  map(float, m.groups())))
    return res


_FPING_C = re.compile(r"^\S+\s*:\s*((?:[\d.]+|-)(?:\s+(?:[\d.]+|-))*)\s*$", re.M)


def parse_fping(out: str, err: str) -> dict:
    # -C N writes "host : v1 v2 - v4 ..." (ms, "-" = lost) on stderr at the end.
    texts, lost = [], 0
    m = _FPING_C.search(err)
    if m:
        for v in m.group(1).split():
            if v == "-":
                lost += 1
            else:
                texts.append(v)
    res = {"rtts_us": [float(t) * 1000 for t in texts], "texts": texts,
           "resolution_us": resolution_us(texts), "warnings": []}
    if m:
        res["transmitted"], res["received"] = len(texts) + lost, len(texts)
    else:
        res["warnings"].append("no -C summary line on stderr")
    return res


_HPING_RE = re.compile(r"flags=\S+ seq=(\d+) .*?rtt=([\d.]+) ms")
_HPING_SUM = re.compile(r"(\d+) packets transmitted, (\d+) packets received")


def parse_hping3(out: str, err: str) -> dict:
    texts = [m.group(2) for m in _HPING_RE.finditer(out)]
    res = {"rtts_us": [float(t) * 1000 for t in texts], "texts": texts,
           "resolution_us": resolution_us(texts), "warnings": []}
    m = _HPING_SUM.search(err) or _HPING_SUM.search(out)
    if m:
        res["transmitted"], res["received"] = int(m.group(1)), int(m.group(2))
    return res


_NPING_EV = re.compile(r"^(SENT|RCVD) \(([\d.]+)s\)", re.M)
_NPING_RTT = re.compile(r"Max rtt: ([\d.]+)ms \| Min rtt: ([\d.]+)ms \| Avg rtt: ([\d.]+)ms")
_NPING_CNT = re.compile(r"Raw packets sent: (\d+) .*?\| Rcvd: (\d+)")


def parse_nping(out: str, err: str) -> dict:
    # nping prints no per-probe RTT. Its SENT/RCVD lines carry times with 0.1 ms resolution;
    # it matches a reply to the LAST probe sent (the probes are identical), so we do the same
    # to reconstruct what it measured, kept only in the raw JSON. The table uses its summary
    # (min/avg/max, 1 µs resolution).
    coarse, last_sent = [], None
    for m in _NPING_EV.finditer(out):
        t = float(m.group(2))
        if m.group(1) == "SENT":
            last_sent = t
        elif last_sent is not None:
            coarse.append(round((t - last_sent) * 1e6, 1))
    res = {"rtts_us": [], "texts": [], "resolution_us": None, "warnings": [],
           "per_probe_from_sent_rcvd_us": coarse, "per_probe_resolution_us": 100.0}
    m = _NPING_RTT.search(out)
    if m:
        mx, mn, avg = (float(x) * 1000 for x in m.groups())
        res["summary_avg_us"] = avg
        res["summary"] = {"max_us": mx, "min_us": mn, "avg_us": avg}
    m = _NPING_CNT.search(out)
    if m:
        res["transmitted"], res["received"] = int(m.group(1)), int(m.group(2))
    return res


def tools(count: int, delayed: bool) -> list[dict]:
    """(name, protocol, argv builder, parser). The reach rows come first: ratios use them."""
    t = [
        {"name": "reach --icmp", "proto": "icmp",
         "cmd": lambda s: reach_cmd("icmp", count, s), "parse": parse_reach},
        {"name": "reach --tcp -p 80", "proto": "tcp",
         "cmd": lambda s: reach_cmd("tcp", count, s), "parse": parse_reach},
        {"name": "ping -i 0.01", "proto": "icmp",
         "cmd": lambda s: ["ping", "-c", str(count), "-i", "0.01", "-W", "1", s],
         "parse": parse_ping},
        # -p 10: the man page's minimum period (for unprivileged users; root may go lower).
        # In count mode fping's timeout defaults to the period (10 ms), which would time out
        # every 20 ms reply: -t 500 for both scenarios.
        {"name": f"fping -C {count} -p 10", "proto": "icmp",
         "cmd": lambda s: ["fping", "-C", str(count), "-p", "10", "-t", "500", s],
         "parse": parse_fping},
        {"name": "hping3 -S -p 80 -i u10000", "proto": "tcp",
         "cmd": lambda s: ["hping3", "-S", "-p", "80", "-i", "u10000", "-c", str(count), s],
         "parse": parse_hping3},
        {"name": "nping --tcp -p 80 --delay 10ms", "proto": "tcp",
         "cmd": lambda s: ["nping", "--tcp", "-p", "80", "--delay", "10ms", "-c", str(count),
                           s],
         "parse": parse_nping},
    ]
    if delayed:
        # nping matches every reply to the last probe sent; with 10 ms between probes and a
        # 20 ms round trip it measures ~10 ms. This extra row shows what it gets when the
        # delay between probes exceeds the RTT.
        t.append({"name": "nping --tcp -p 80 --delay 25ms", "proto": "tcp", "extra": True,
                  "cmd": lambda s: ["nping", "--tcp", "-p", "80", "--delay", "25ms", "-c",
                                    str(count), s],
                  "parse": parse_nping})
    return t


# --------------------------------------------------------------------------- machine state

def cpu_times() -> tuple[int, int, int]:
    """(total, idle + iowait, steal) jiffies of all CPUs."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    steal = parts[7] if len(parts) > 7 else 0
    return sum(parts[:8]), idle, steal


def busy_pct(before: tuple, after: tuple) -> float:
    total, idle = after[0] - before[0], after[1] - before[1]
    return round(100.0 * (total - idle) / total, 1) if total > 0 else math.nan


def steal_pct(before: tuple, after: tuple) -> float:
    """Time the hypervisor ran something else while our vCPUs wanted to run."""
    total = after[0] - before[0]
    return round(100.0 * (after[2] - before[2]) / total, 1) if total > 0 else math.nan


def version_of(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (r.stdout + r.stderr).strip().splitlines()
    text = [l for l in text if l.strip()]
    return text[0].strip() if text else "?"


def machine() -> dict:
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "kernel": platform.release(), "cpus": os.cpu_count(), "cpu_model": model,
        "os": version_of(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
        "versions": {
            "ping": version_of(["ping", "-V"]),
            "fping": version_of(["fping", "-v"]),
            "hping3": version_of(["hping3", "-v"]),
            "nping": version_of(["nping", "--version"]),
            "stress-ng": version_of(["stress-ng", "--version"]),
            "reach": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                    capture_output=True, text=True).stdout.strip() or "?",
        },
        "reach_binary": str(lablib.reach_bin()),
        "reach_binary_mtime": (dt.datetime.fromtimestamp(lablib.reach_bin().stat().st_mtime,
                                                         dt.timezone.utc)
                               .isoformat(timespec="seconds")
                               if lablib.reach_bin().exists() else None),
    }


# --------------------------------------------------------------------------- running

def start_sniffer(lab, pair):
    """bench/wire_sniff.py on the client's interface (inside the client namespace)."""
    out = lab.tmpdir / "wire.json"
    proc = pair.client.popen([lablib.python_bin(), str(REPO / "bench" / "wire_sniff.py"),
                              "--if", pair.client.iface_to(pair.server), "--out", str(out),
                              "--max-seconds", "60"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=False, bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=10)
    proc.wire_out = out
    return proc


def stop_sniffer(lab, proc) -> dict:
    lab.stop(proc, timeout=5)  # it drains its ring for ~0.25 s after SIGTERM
    try:
        return json.loads(Path(proc.wire_out).read_text())
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def wire_compare(rec: dict, raw: dict, count: int) -> dict:
    """Wire RTT of probe k = k-th reply in - k-th probe out (the links are FIFO and lossless);
    the tool's k-th reported RTT is compared with it when both have every probe."""
    if "error" in raw:
        return {"error": raw["error"]}
    outs, ins = raw["out"], raw["in"]
    n = min(len(outs), len(ins))
    mism = sum(1 for k in range(n) if raw["out_keys"][k] != raw["in_keys"][k])
    wire = [(ins[k] - outs[k]) / 1000.0 for k in range(n)]
    res = {"probes_out": len(outs), "replies_in": len(ins), "key_mismatches": mism,
           "rtt_us": describe(wire), "rtts_us": wire}
    rep = rec["rtts_us"]
    if rep and len(rep) == n == count and mism == 0:
        res["diff_us"] = describe([rep[k] - wire[k] for k in range(n)])
    if rec.get("summary_avg_us") is not None and wire:
        # nping / ping print an average with 1 µs resolution: compare it with the wire mean
        res["summary_mean_diff_us"] = rec["summary_avg_us"] - sum(wire) / len(wire)
    return res


def wait_quiet(max_wait: float = 30.0, threshold: float = 15.0) -> float:
    """Before the idle phase: wait (bounded) until the CPUs are mostly idle; returns busy %."""
    deadline = time.monotonic() + max_wait
    while True:
        c0 = cpu_times()
        time.sleep(1.0)
        b = busy_pct(c0, cpu_times())
        if b <= threshold or time.monotonic() >= deadline:
            return b


def run_one(tool: dict, delayed: bool, load: str, wire: bool, args) -> dict:
    rec = {"pass": "wire" if wire else "main", "scenario": "delayed" if delayed else "bare",
           "load": load, "tool": tool["name"], "proto": tool["proto"],
           "extra": tool.get("extra", False)}
    with lablib.Lab() as lab:
        # Same shape every time: a fresh pair, static neighbour entries (no ARP in the first
        # probe), a listener on TCP port 80 of the server.
        p = lab.pair(delay_ms=10 if delayed else 0, static_neigh=True)
        p.server.listen(tcp=[80], max_seconds=120)
        cmd = tool["cmd"](p.server4)
        if args.pin is not None:
            cmd = ["taskset", "-c", str(args.pin)] + cmd
        sniffer = start_sniffer(lab, p) if wire else None
        rec["cmd"] = " ".join("reach" if c == str(lablib.reach_bin()) else c for c in cmd)
        rec["pinned_cpu"] = args.pin
        c0, t0 = cpu_times(), time.monotonic()
        try:
            r = p.client.run(cmd, check=False, timeout=RUN_TIMEOUT)
            out, err, rc = r.stdout, r.stderr, r.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
            rc = None
        rec["wall_s"] = round(time.monotonic() - t0, 3)
        c1 = cpu_times()
        rec["cpu_busy_pct"] = busy_pct(c0, c1)
        rec["cpu_steal_pct"] = steal_pct(c0, c1)
        rec["exit"] = rc
        if sniffer is not None:
            rec["wire_raw"] = stop_sniffer(lab, sniffer)
        if delayed:
            try:
                st = p.link.stop_emulator()
                rec["emulator"] = {k: st.get(k) for k in ("forwarded", "dropped",
                                                          "timing_error_us", "timer_late_us",
                                                          "wake_latency_us", "send_call_us")}
            except lablib.LabError as e:
                rec["emulator"] = {"error": str(e)}
    parsed = tool["parse"](out, err)
    rec.update(parsed)
    rec.pop("texts", None)
    w = rec["warnings"]
    if rc is None:
        w.append(f"timed out after {RUN_TIMEOUT}s")
    elif rc != 0:
        w.append(f"exit status {rc}: {err.strip()[-300:]}")
    if rec.get("transmitted") not in (None, args.count):
        w.append(f"transmitted {rec.get('transmitted')} != {args.count}")
    if rec.get("received") not in (None, args.count):
        w.append(f"received {rec.get('received')} of {args.count}")
    if tool["name"].startswith("reach") and delayed:
        low = [x for x in rec["rtts_us"] if x < TRUE_RTT_US]
        if low:
            w.append(f"{len(low)} RTTs below the emulated 20 ms (min {min(low):.3f} µs): "
                     f"impossible, the emulator never releases early")
    if tool["name"].startswith("reach") and not delayed:
        if any(x <= 0 for x in rec["rtts_us"]):
            w.append("non-positive RTT")
    rec["stats_us"] = describe(rec["rtts_us"])
    if "wire_raw" in rec:
        rec["wire"] = wire_compare(rec, rec.pop("wire_raw"), args.count)
    if delayed:
        errs = [x - TRUE_RTT_US for x in rec["rtts_us"]]
        rec["error_us"] = describe([abs(e) for e in errs])
        rec["error_us"]["mean_signed"] = (sum(errs) / len(errs)) if errs else None
        if rec.get("summary_avg_us") is not None:
            rec["summary_mean_error_us"] = rec["summary_avg_us"] - TRUE_RTT_US
    return rec


def start_stress(seconds: int) -> subprocess.Popen:
    ncpu = os.cpu_count() or 2
    # Root namespace is fine: stress-ng --cpu computes, it sends no packets.
    proc = subprocess.Popen(["stress-ng", "--cpu", str(ncpu), "--timeout", f"{seconds}s",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(1.5)  # let the workers reach full load
    return proc


def stop_stress(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)  # stress-ng stops its own workers on SIGTERM
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


# --------------------------------------------------------------------------- reporting

def fmt_us(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if abs(v) >= 10000:
        return f"{v / 1000:.3f} ms"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}"


def fmt_ratio(a, b) -> str:
    if a is None or b is None or b == 0 or (isinstance(a, float) and math.isnan(a)):
        return "—"
    return f"{a / b:.1f}x"


def res_note(r: dict) -> str:
    if r["tool"].startswith("reach"):
        return "1 ns"
    if r["tool"].startswith("nping"):
        return "avg only†"
    res = r.get("resolution_us")
    return "—" if res is None else f"{res:g} µs"


def cpu_note(r: dict) -> str:
    steal = r.get("cpu_steal_pct")
    return f"{r.get('cpu_busy_pct')}%" + (f" (steal {steal}%)" if steal else "")


def reach_ref(runs: list[dict], rec: dict) -> dict | None:
    for r in runs:
        if (r["tool"].startswith("reach") and r["proto"] == rec["proto"]
                and r["scenario"] == rec["scenario"] and r["load"] == rec["load"]
                and r["pass"] == rec["pass"]):
            return r
    return None


def table_bare(runs: list[dict], load: str) -> str:
    rows = [r for r in runs if r["scenario"] == "bare" and r["load"] == load
            and r["pass"] == "main"]
    out = [f"#### Bare veth, {load} (true RTT: a few µs; values in µs)", "",
           "| tool | recv | median | mean | p90 | p99 | max | printed resolution "
           "| median vs reach | p99 vs reach | CPU busy |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, ref = r["stats_us"], reach_ref(runs, r)
        mean = s.get("mean", r.get("summary_avg_us"))
        is_ref = ref is r
        out.append(
            f"| {r['tool']} | {r.get('received', '?')}/{r.get('transmitted', '?')} "
            f"| {fmt_us(s.get('median'))} | {fmt_us(mean)} | {fmt_us(s.get('p90'))} "
            f"| {fmt_us(s.get('p99'))} "
            f"| {fmt_us(s.get('max', (r.get('summary') or {}).get('max_us')))} "
            f"| {res_note(r)} "
            f"| {'1.0x (ref)' if is_ref else fmt_ratio(s.get('median'), ref['stats_us'].get('median')) if ref else '—'} "
            f"| {'1.0x (ref)' if is_ref else fmt_ratio(s.get('p99'), ref['stats_us'].get('p99')) if ref else '—'} "
            f"| {cpu_note(r)} |")
    return "\n".join(out)


def table_delayed(runs: list[dict], load: str) -> str:
    rows = [r for r in runs if r["scenario"] == "delayed" and r["load"] == load
            and r["pass"] == "main"]
    out = [f"#### 10 ms each way, {load} (true RTT 20 ms; RTTs in ms, errors in µs)", "",
           "| tool | recv | median RTT | p90 | p99 | max | median abs error | mean error "
           "| p99 abs error | printed resolution | median error vs reach "
           "| emulator error p50 / p99 / max (µs) | CPU busy |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, e, ref = r["stats_us"], r.get("error_us", {}), reach_ref(runs, r)
        # ping's and nping's summary averages keep 1 µs resolution: prefer them.
        mean_err = r.get("summary_mean_error_us")
        if mean_err is None:
            mean_err = e.get("mean_signed")
        em = (r.get("emulator") or {}).get("timing_error_us") or {}
        ms = lambda v: "—" if v is None else f"{v / 1000:.3f}"  # noqa: E731
        res = r.get("resolution_us")
        # Printed in 0.1 ms steps: an error under 50 µs prints as 0, so no ratio.
        coarse = "n/a ‡" if res is not None and res >= 50 else ""
        is_ref = ref is r
        out.append(
            f"| {r['tool']} | {r.get('received', '?')}/{r.get('transmitted', '?')} "
            f"| {ms(s.get('median'))} | {ms(s.get('p90'))} | {ms(s.get('p99'))} "
            f"| {ms(s.get('max', (r.get('summary') or {}).get('max_us')))} "
            f"| {fmt_us(e.get('median'))} | {fmt_us(mean_err)} | {fmt_us(e.get('p99'))} "
            f"| {res_note(r)} "
            f"| {'1.0x (ref)' if is_ref else coarse if coarse else fmt_ratio(e.get('median'), ref['error_us'].get('median')) if ref else '—'} "
            f"| {em.get('p50', '—')} / {em.get('p99', '—')} / {em.get('max', '—')} "
            f"| {cpu_note(r)} |")
    return "\n".join(out)


def table_wire(runs: list[dict]) -> str:
    out = ["#### Wire check: each tool's reported RTT minus the RTT on the client's interface "
           "(µs)", "",
           "| scenario | load | tool | wire RTT median | wire RTT p99 "
           "| reported − wire: median | p90 | p99 | max | min | printed average − wire mean |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {"bare": 0, "delayed": 1, "idle": 0, "loaded": 1}
    rows = sorted((r for r in runs if r.get("wire")),
                  key=lambda r: (order.get(r["scenario"], 9), order.get(r["load"], 9)))
    for r in rows:
        w = r["wire"]
        wr = w.get("rtt_us", {})
        d = w.get("diff_us")
        cells = ([fmt_us(d.get(k)) for k in ("median", "p90", "p99", "max", "min")] if d
                 else ["—"] * 5)
        sm = w.get("summary_mean_diff_us")
        if sm is None and d:
            sm = sum(r["rtts_us"]) / len(r["rtts_us"]) - wr.get("mean", 0)
        out.append(f"| {r['scenario']} | {r['load']} | {r['tool']} "
                   f"| {fmt_us(wr.get('median'))} | {fmt_us(wr.get('p99'))} "
                   f"| " + " | ".join(cells) + f" | {fmt_us(sm)} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100, help="probes per tool run (100)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "latest.json"),
                    help="raw results JSON (default bench/results/latest.json, gitignored)")
    ap.add_argument("--loads", default="idle,loaded", help="idle,loaded (default both)")
    ap.add_argument("--scenarios", default="bare,delayed")
    ap.add_argument("--pin", default="none",
                    help="CPU every tool runs on (taskset -c), 'none' to let the scheduler "
                         "choose (the default)")
    ap.add_argument("--no-wire", dest="wire", action="store_false",
                    help="skip the second pass that records wire timestamps on the client's "
                         "interface (bench/wire_sniff.py) and compares each tool's per-probe "
                         "RTT with them")
    args = ap.parse_args()
    if not 1 <= args.count <= 1000:
        ap.error("--count must be 1..1000")
    if args.pin == "none":
        args.pin = None
    elif not args.pin.isdigit() or int(args.pin) >= (os.cpu_count() or 1):
        ap.error("--pin: a CPU number or 'none'")
    if not lablib.is_root():
        print("ping_precision: needs root (network namespaces, raw sockets)", file=sys.stderr)
        return 2
    missing = [b for b in ("ping", "fping", "hping3", "nping", "stress-ng") if not shutil.which(b)]
    for p in (lablib.reach_bin(), lablib.linkem_bin()):
        if not p.exists():
            missing.append(str(p))
    if missing:
        print(f"ping_precision: missing: {', '.join(missing)} "
              f"(bash scripts/install-deps.sh; make build)", file=sys.stderr)
        return 2
    # SIGTERM (e.g. from run.sh's timeout) unwinds like Ctrl-C: labs torn down, stress-ng stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    lablib.Lab.cleanup_stale()
    loads = [x for x in args.loads.split(",") if x]
    scenarios = [x for x in args.scenarios.split(",") if x]
    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.monotonic()
    result = {"version": 1, "benchmark": "ping_precision",
              "date": started.isoformat(timespec="seconds"),
              "machine": machine(),
              "config": {"count": args.count, "interval_ms": 10, "delay_each_way_ms": 10,
                         "true_rtt_delayed_us": TRUE_RTT_US,
                         "realtime_emulator": os.environ.get("REACH_LAB_RT", "1") != "0",
                         "stress": f"stress-ng --cpu {os.cpu_count()} (root namespace)",
                         "tools_pinned_to_cpu": args.pin},
              "runs": []}
    stress = None
    try:
        for load in loads:
            if load == "idle":
                b = wait_quiet()
                result["config"]["cpu_busy_before_idle_pct"] = b
                if b > 15.0:
                    print(f"warning: machine not idle ({b}% busy) at the start of the idle "
                          f"phase", file=sys.stderr)
            if load == "loaded":
                # Bounded by its own --timeout even if we die; stopped by pid below.
                stress = start_stress(seconds=150)
                result["config"]["stress_pid"] = stress.pid
            # The main pass, then (same load) the wire pass with a tap on the client's veth.
            plan = [(wire, scen == "delayed", tool)
                    for wire in ([False, True] if args.wire else [False])
                    for scen in scenarios
                    for tool in tools(args.count, scen == "delayed")]
            for wire, delayed, tool in plan:
                if stress is not None and stress.poll() is not None:
                    print("warning: stress-ng ended early", file=sys.stderr)
                rec = run_one(tool, delayed, load, wire, args)
                result["runs"].append(rec)
                print(f"[{time.monotonic() - t_start:6.1f}s] {rec['pass']:4} {load:6} "
                      f"{rec['scenario']:7} {tool['name']:32} recv={rec.get('received')} "
                      f"median={rec['stats_us'].get('median', math.nan):.1f} µs "
                      f"wall={rec['wall_s']}s busy={rec['cpu_busy_pct']}% "
                      f"steal={rec['cpu_steal_pct']}%"
                      + (f" NOTE: {'; '.join(rec['warnings'])}" if rec["warnings"] else ""),
                      file=sys.stderr, flush=True)
            if stress is not None:
                stop_stress(stress)
                stress = None
    finally:
        if stress is not None:
            stop_stress(stress)
    result["duration_s"] = round(time.monotonic() - t_start, 1)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")

    m = result["machine"]
    print(f"### reach ping RTT precision — {result['date']}\n")
    print(f"{m['cpus']} CPUs ({m['cpu_model']}), kernel {m['kernel']}, {m['os']}; "
          f"{args.count} probes at 10 ms per tool, tools run one after another"
          f"{f', each pinned to CPU {args.pin}' if args.pin is not None else ''}; "
          f"run took {result['duration_s']} s. Raw results: {out}\n")
    for scen in scenarios:
        for load in loads:
            print((table_bare if scen == "bare" else table_delayed)(result["runs"], load))
            print()
    print("† nping prints no per-probe RTT (its SENT/RCVD times have 0.1 ms resolution): "
          "mean and max are its own summary's Avg/Max rtt.\n\n"
          "‡ ping, fping and hping3 print a 20 ms RTT in 0.1 ms steps (ping and fping round, "
          "so any error under 50 µs prints as 0); ping's mean error comes from its summary "
          "line (1 µs resolution), the others' from the printed values.\n\n"
          "Ratios compare each tool with reach over the same protocol (ICMP tools with "
          "reach --icmp, TCP SYN tools with reach --tcp). Percentiles are nearest-rank.")
    if args.wire:
        print("\n" + table_wire(result["runs"]))
    for title, mine in (("reach problems", True), ("Peer-tool notes", False)):
        warns = [(r["pass"], r["load"], r["scenario"], r["tool"], w) for r in result["runs"]
                 if r["tool"].startswith("reach") == mine for w in r["warnings"]]
        if warns:
            print(f"\n{title}:")
            for w in warns:
                print(f"- {w[0]} pass, {w[1]}/{w[2]}, {w[3]}: {w[4]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
