#!/usr/bin/python3
"""Speed and exactness of `reach scan` against nmap, masscan and zmap on one lab link (issue 4).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could
not run (not root, a binary missing, the lab could not be built).

Lab (tests/lab/lab.py): a bare veth pair client <-> server; nothing leaves the namespaces.
  A. all 65535 ports of one host: the server listens on 20 random TCP ports (the rest closed);
     reach scan -p- | nmap -sS -p- -T5 --min-rate 10000 | masscan -p1-65535
  B. one port across 65,536 addresses: 198.19.0.0/16 is local on the server (ip route add
     local), which listens on port 80 of all of them; every address is a hit.
     reach scan -p 80 | zmap -p 80 | masscan -p 80 | nmap -sS -p 80 -T5 --min-rate 10000
Each command runs --runs times, one after another, inside the client namespace (ip netns exec);
reported per tool: median wall time, median CPU time (user + system, wait4), peak RSS, packets
per second actually sent (the client interface's tx counter over the wall time; it includes
the RSTs the client's kernel sends for each SYN-ACK), and the open ports / hits found in each
run (every run, so a lost hit shows).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

RUN_TIMEOUT = 20.0


def tx_packets(host, iface):
    out = host.run(["ip", "-s", "-j", "link", "show", "dev", iface]).stdout
    return json.loads(out)[0]["stats64"]["tx"]["packets"]


def run_once(host, iface, cmd):
    before = tx_packets(host, iface)
    # `ip netns exec` (it also mounts the namespace's /sys, which masscan reads) for every tool alike.
    # GNU time reports the peak RSS of the tool itself: wait4 here would count this Python
    # process's pages, which a forked child inherits until it execs.
    rss_file = tempfile.NamedTemporaryFile("r", suffix=".rss")
    argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *host.wrap(cmd)]
    t0 = time.perf_counter()
    # Files, not pipes: masscan writes progress to stderr without end and would block on a pipe.
    out_f, err_f = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f, text=True)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:  # recorded as a run that did not finish
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.0005)
    wall = time.perf_counter() - t0
    out_f.seek(0)
    err_f.seek(0)
    out, err = out_f.read(), err_f.read()
    sent = tx_packets(host, iface) - before
    timed_out = wall >= RUN_TIMEOUT
    rss_text = Path(rss_file.name).read_text().split()
    rss_kb = int(rss_text[-1]) if rss_text and rss_text[-1].isdigit() else 0
    return {"timed_out": timed_out, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": rss_kb, "sent": sent,
            "pps": sent / wall, "stdout": out, "stderr": err, "rc": os.waitstatus_to_exitcode(status)}


def found_reach(r, _files):
    return sum(1 for line in r["stdout"].splitlines()
               if '"type":"port"' in line and '"state":"open"' in line)


def found_nmap(r, _files):
    n = 0
    for line in r["stdout"].splitlines():
        if "Ports: " in line:
            n += sum(1 for p in line.split("Ports: ")[1].split("\t")[0].split(", ") if "/open/" in p)
    return n


def found_masscan(_r, files):
    text = files["masscan"].read_text() if files["masscan"].exists() else ""
    return sum(1 for line in text.splitlines() if line.startswith("open "))


def found_zmap(_r, files):
    text = files["zmap"].read_text() if files["zmap"].exists() else ""
    return sum(1 for line in text.splitlines() if line[:1].isdigit())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=1000000, help="packets/s for reach and zmap")
    ap.add_argument("--masscan-rate", type=int, default=1000000,
                    help="masscan's --rate (below 1M it often never ends its wait here)")
    ap.add_argument("--out", help="write the raw results as JSON here")
    ap.add_argument("--skip-nmap-sweep", action="store_true", help="nmap over 65,536 addresses is slow")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("scan_bench: needs root (network namespaces, raw sockets)", file=sys.stderr)
        return 2
    reach = str(lablib.reach_bin())
    for tool in (reach, "/usr/bin/nmap", "/usr/bin/masscan", "/usr/sbin/zmap", "/usr/bin/time"):
        if not Path(tool).exists():
            print(f"scan_bench: {tool} missing (scripts/install-deps.sh)", file=sys.stderr)
            return 2
    rate = str(a.rate)
    results = {}
    with lablib.Lab() as lab:
        t = lab.pair()
        iface = t.client.iface_to(t.server)
        mac = t.server.run(["cat", f"/sys/class/net/{t.server.iface_to(t.client)}/address"]).stdout.strip()
        open_ports = sorted(random.Random(4).sample(range(1, 60999), 20))
        t.server.listen(tcp=open_ports + ([80] if 80 not in open_ports else []))
        lab.local_addresses(t.server, "198.19.0.0/16")
        files = {"masscan": lab.tmpdir / "masscan.txt", "zmap": lab.tmpdir / "zmap.txt"}
        want_a = len(open_ports) + (0 if 80 in open_ports else 1)
        scenarios = {
            "A: -p- one host": (want_a, [
                ("reach", [reach, "scan", "--json", "--no-progress", "-p-", "--rate", rate, t.server4], found_reach),
                ("reach (default rate)", [reach, "scan", "--json", "--no-progress", "-p-", t.server4], found_reach),
                ("nmap", ["nmap", "-n", "-Pn", "-sS", "-p-", "-T5", "--min-rate", "10000", "-oG", "-", t.server4],
                 found_nmap),
                ("masscan", ["masscan", "-p1-65535", "--rate", str(a.masscan_rate), t.server4, "-e", iface, "--router-mac", mac,
                             "--wait", "1", "-oL", str(files["masscan"])], found_masscan),
            ]),
            "B: -p 80 over 65,536 addresses": (65536, [
                ("reach", [reach, "scan", "--json", "--no-progress", "-p", "80", "--rate", rate, "198.19.0.0/16"],
                 found_reach),
                ("zmap", ["zmap", "-p", "80", "198.19.0.0/16", "-i", iface, "--gateway-mac", mac, "-r", rate, "-c", "1",
                          "-q", "-b", "/dev/null", "-o", str(files["zmap"])], found_zmap),
                ("masscan", ["masscan", "-p80", "198.19.0.0/16", "--rate", str(a.masscan_rate), "-e", iface, "--router-mac", mac,
                             "--wait", "1", "-oL", str(files["masscan"])], found_masscan),
            ] + ([] if a.skip_nmap_sweep else [
                ("nmap", ["nmap", "-n", "-Pn", "-sS", "-p", "80", "-T5", "--min-rate", "10000", "-oG", "-",
                          "198.19.0.0/16"], found_nmap)])),
        }
        for name, (want, tools) in scenarios.items():
            print(f"\n{name} (expected {want} found, {a.runs} runs, rate {rate} where the tool takes one)")
            print(f"{'tool':<22} {'wall s':>7} {'cpu s':>7} {'RSS MB':>7} {'kpps':>7}  found per run")
            base = None
            results[name] = {}
            for tool, cmd, count in tools:
                runs = []
                for _ in range(a.runs):
                    for f in files.values():
                        f.unlink(missing_ok=True)
                    r = run_once(t.client, iface, cmd)
                    r["found"] = count(r, files)
                    runs.append(r)
                wall = statistics.median(r["wall"] for r in runs)
                base = base or wall
                results[name][tool] = [{k: v for k, v in r.items() if k not in ("stdout", "stderr")} for r in runs]
                print(f"{tool:<22} {wall:7.3f} {statistics.median(r['cpu'] for r in runs):7.3f} "
                      f"{max(r['rss_kb'] for r in runs) / 1024:7.1f} "
                      f"{statistics.median(r['pps'] for r in runs) / 1000:7.0f}  "
                      f"{' '.join(str(r['found']) for r in runs)}   x{wall / base:.2f} of reach's time"
                      + ("" if all(r["rc"] in (0, 1) for r in runs) else f"  (exit {runs[-1]['rc']}: "
                         f"{runs[-1]['stderr'].strip()[-120:]})")
                      + (f"  ({sum(r['timed_out'] for r in runs)} runs killed after {RUN_TIMEOUT:.0f} s)"
                         if any(r["timed_out"] for r in runs) else ""))
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
