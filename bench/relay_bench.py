#!/usr/bin/python3
"""`reach relay` side by side with HAProxy, nginx stream, 6tunnel and socat (issue 14).

A benchmark, not a test: it never fails on the numbers. It exits non-zero only when it could not
run (not root, reach or ab missing, the lab could not be built). Peers that are not installed are
skipped and said so (Debian: haproxy, nginx-core + libnginx-mod-stream, 6tunnel, socat; the load
generator is ab from apache2-utils).

Lab (tests/lab/lab.py): client (IPv6) <-> relay <-> backend (IPv4). The backend is nginx serving
"ok" and a 512 MiB file, on port 9000 with `proxy_protocol` (for the relays that send a PROXY
header: reach relay and HAProxy v2, nginx stream v1) and on 9001 without (6tunnel and socat, which
cannot tell the client's address). Each relay in turn listens on [::]:8080 in the relay
namespace, alone on the machine's relay side, and gets:

  conn/s     ab -n N -c 32 http://[relay]:8080/    (a new connection per request)
  CPU/conn   the relay's user+system time (children included) over that run / completed
  latency    sequential new-connection requests from Python through the relay, alternating in
             slices of 50 with the same requests sent straight to the backend (routed through the
             relay namespace): p50 and p99 of all relayed minus those of all direct
  MiB/s      curl of the 512 MiB file through the relay (one connection)
  idle RSS   VmRSS of the relay's processes after start, before any traffic
  flood      bench/relay_flood.py, each relay started afresh: legitimate clients (8 sources in 8
             other /48s, HTTP GET every 10 ms) while one /64 holds up to 30,000 silent connections,
             then while 40 /48s hold 10,000 paced under every per-prefix limit: % served, p99

reach relay runs with its default limits (and once more with --no-blackhole, to show what
libnftables costs in memory), plus an allow-list entry for the benchmark client's
own /64 (ab hammers from one address; an operator benchmarking their relay would do the same).
Its nftables table is deleted after its run so the next relay does not profit from its bans.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
import lab as lablib  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import relay_flood  # noqa: E402

PORT = 8080
LOCAL6 = "2001:db8:f100::/40"
TICK = os.sysconf("SC_CLK_TCK")

LATENCY_CLIENT = r"""
import json, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
lat = []
for i in range(n):
    t0 = time.perf_counter()
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(2.0)
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
    lat.append(time.perf_counter() - t0)
print(json.dumps({"lat": lat}))
"""


def nginx_head(tmp: Path, name: str, conns: int = 8000) -> str:
    """The top of an nginx config of ours: foreground, one worker, files in the lab's tmpdir."""
    return f"""user root;
worker_processes 1;
worker_rlimit_nofile {conns + 1000};
daemon off;
pid {tmp}/nginx-{name}.pid;
error_log {tmp}/nginx-{name}.err;
events {{ worker_connections {conns}; }}
"""


def backend_conf(tmp: Path, b4: str) -> str:
    # Room for every relay's share of a flood (bench/relay_flood.py): the backend is not compared.
    return nginx_head(tmp, "backend", 18000) + f"""
http {{
  access_log off;
  client_body_temp_path {tmp}/b-body; proxy_temp_path {tmp}/b-proxy; fastcgi_temp_path {tmp}/b-fcgi;
  uwsgi_temp_path {tmp}/b-uwsgi; scgi_temp_path {tmp}/b-scgi;
  sendfile on;
  server {{
    listen {b4}:9000 proxy_protocol backlog=4096;
    listen {b4}:9001 backlog=4096;
    location = / {{ return 200 "ok\\n"; }}
    location = /big {{ alias {tmp}/big; }}
  }}
}}
"""


def relays(tmp: Path, reach: Path, b4: str, client_net: str) -> dict[str, dict]:
    (tmp / "reach.yaml").write_text(
        f"relay:\n  listen: \"[::]:{PORT}\"\n  backends: [ \"{b4}:9000\" ]\n  send_proxy: v2\n  health: false\n"
        f"  limits:\n    allow: [ \"{client_net}\" ]\n")
    (tmp / "haproxy.cfg").write_text(f"""
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend f
  bind [::]:{PORT} v6only
  default_backend b
backend b
  server s1 {b4}:9000 send-proxy-v2
""")
    (tmp / "nginx-stream.conf").write_text("load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n" +
                                           nginx_head(tmp, "stream") + f"""
stream {{
  server {{ listen [::]:{PORT} ipv6only=on backlog=4096; proxy_pass {b4}:9000; proxy_protocol on; }}
}}
""")
    return {
        "reach relay": {"argv": [str(reach), "relay", "--config", str(tmp / "reach.yaml")], "need": str(reach)},
        "reach, no nft": {"argv": [str(reach), "relay", "--config", str(tmp / "reach.yaml"), "--no-blackhole"],
                          "need": str(reach)},
        "HAProxy": {"argv": ["haproxy", "-db", "-f", str(tmp / "haproxy.cfg")], "need": "haproxy"},
        "nginx stream": {"argv": ["nginx", "-c", str(tmp / "nginx-stream.conf")], "need": "nginx",
                         "module": "/usr/lib/nginx/modules/ngx_stream_module.so"},
        "6tunnel": {"argv": ["6tunnel", "-d", "-6", "-l", "::", str(PORT), b4, "9001"], "need": "6tunnel"},
        "socat": {"argv": ["socat", f"TCP6-LISTEN:{PORT},fork,reuseaddr,backlog=1024", f"TCP4:{b4}:9001"],
                  # A process per connection: the floods would fork tens of thousands.
                  "flood_argv": ["socat", f"TCP6-LISTEN:{PORT},fork,reuseaddr,backlog=1024,max-children=500",
                                 f"TCP4:{b4}:9001"],
                  "need": "socat"},
    }


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo and len(out) < 1000:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            pass
    return out


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def rss_kib(pid: int) -> int:
    total = 0
    for p in tree(pid):
        try:
            m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def wait_port(host, port: int) -> bool:
    for _ in range(100):
        if host.run(["ss", "-Htln", f"sport = :{port}"], check=False).stdout.strip():
            return True
        time.sleep(0.05)
    return False


def measure(lab, c, r, name: str, spec: dict, relay6: str, direct: dict, a) -> dict:
    res: dict = {"tool": name}
    proc = r.popen(spec["argv"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not wait_port(r, PORT):
            res["error"] = "did not listen: " + (proc.stderr.read()[-500:] if proc.poll() is not None else "")
            return res
        time.sleep(0.5)
        res["idle_rss_mib"] = rss_kib(proc.pid) / 1024
        # Direct and relayed alternate in slices of 50, so both see the same background load.
        dl, rl = [], []
        for _ in range(max(1, a.latency_n // 50)):
            for host, port, into in ((direct["host"], direct["port"], dl), (relay6, PORT, rl)):
                into += json.loads(c.run([lablib.python_bin(), "-c", LATENCY_CLIENT, host, str(port), "50"],
                                         timeout=60).stdout)["lat"]
        res["added_p50_us"] = (pct(rl, 0.5) - pct(dl, 0.5)) * 1e6
        res["added_p99_us"] = (pct(rl, 0.99) - pct(dl, 0.99)) * 1e6
        cpu0 = cpu_seconds(proc.pid)
        ab = c.run(["ab", "-q", "-r", "-s", "5", "-n", str(a.requests), "-c", "32", f"http://[{relay6}]:{PORT}/"],
                   timeout=300, check=False).stdout
        cpu1 = cpu_seconds(proc.pid)
        rps = re.search(r"Requests per second:\s+([\d.]+)", ab)
        done = re.search(r"Complete requests:\s+(\d+)", ab)
        failed = re.search(r"Failed requests:\s+(\d+)", ab)
        if rps and done:
            n_ok = int(done.group(1)) - (int(failed.group(1)) if failed else 0)
            res["conn_per_s"] = float(rps.group(1))
            res["failed"] = int(failed.group(1)) if failed else 0
            res["cpu_us_per_conn"] = (cpu1 - cpu0) / max(1, n_ok) * 1e6
        mb = c.run(["curl", "-s", "-o", "/dev/null", "--max-time", "60", "-w", "%{http_code} %{size_download} %{speed_download}",
                    f"http://[{relay6}]:{PORT}/big"], timeout=90, check=False).stdout.split()
        if len(mb) == 3 and mb[0] == "200" and int(mb[1]) == 512 << 20:
            res["mib_per_s"] = float(mb[2]) / (1 << 20)
        else:
            res["big_error"] = " ".join(mb)
    finally:
        lab.stop(proc)
        r.run(["nft", "delete", "table", "inet", "reach"], check=False)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--latency-n", type=int, default=500)
    ap.add_argument("--no-flood", action="store_true", help="skip the floods (bench/relay_flood.py)")
    ap.add_argument("--flood-only", action="store_true", help="only the floods")
    ap.add_argument("--only", action="append",
                    help="a relay to run (repeat it), e.g. --only 'reach relay' --only HAProxy (default: all)")
    ap.add_argument("--out", help="write the results as JSON here too")
    a = ap.parse_args()
    if not lablib.is_root():
        print("relay_bench: needs root (network namespaces)", file=sys.stderr)
        return 2
    reach = lablib.reach_bin()
    if not reach.exists() or not shutil.which("ab") or not shutil.which("nginx"):
        print("relay_bench: needs reach built, ab (apache2-utils) and nginx (the backend)", file=sys.stderr)
        return 2
    runs: list[list[dict]] = []
    with lablib.Lab() as lab:
        c, r, b = lab.host("client"), lab.host("relay"), lab.host("backend")
        lab.link(c, r)
        lab.link(r, b)
        lab.route_all()
        lab.local_addresses(c, "198.19.0.0/24", LOCAL6)
        for h in (c, r, b):
            h.sysctls({"net.core.somaxconn": 65535, "net.ipv4.tcp_max_syn_backlog": 65535,
                       "net.ipv4.ip_local_port_range": "1024 65535", "net.ipv4.tcp_tw_reuse": 1},
                      ignore_missing=True)
        c.sysctl("net.ipv6.ip_nonlocal_bind", 1)
        relay6 = r.link_to(c).addr6(r)
        b4 = b.link_to(r).addr4(b)
        client_net = f"{c.link_to(r).addr6(c)}/64"
        client_net = str(lablib.ipaddress.ip_network(client_net, strict=False))
        tmp = lab.tmpdir
        with open(tmp / "big", "wb") as f:
            f.truncate(512 << 20)
        (tmp / "nginx-backend.conf").write_text(backend_conf(tmp, b4))
        be = b.popen(["nginx", "-c", str(tmp / "nginx-backend.conf")], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
        if not wait_port(b, 9001):
            print("relay_bench: the nginx backend did not start", file=sys.stderr)
            return 2
        direct = {"host": b4, "port": 9001}
        # Warm the page cache with the file once: otherwise the first relay measured pays for
        # 512 MiB of zero pages (it showed ~90 MiB/s against ~700 for the same relay later).
        c.run(["curl", "-s", "-o", "/dev/null", "--max-time", "60", f"http://{b4}:9001/big"], timeout=90, check=False)
        tools = relays(tmp, reach, b4, client_net)
        if a.only:
            tools = {k: v for k, v in tools.items() if k in a.only}
            if not tools:
                print(f"relay_bench: --only names none of {', '.join(relays(tmp, reach, b4, client_net))}",
                      file=sys.stderr)
                return 2
        for run in range(a.runs):
            row = []
            for name, spec in tools.items():
                if not shutil.which(spec["need"]) and not Path(spec["need"]).exists():
                    row.append({"tool": name, "error": f"{spec['need']} not installed"})
                    continue
                if "module" in spec and not Path(spec["module"]).exists():
                    row.append({"tool": name, "error": "libnginx-mod-stream not installed"})
                    continue
                res = measure(lab, c, r, name, spec, relay6, direct, a) if not a.flood_only else {"tool": name}
                if not a.no_flood and "error" not in res:
                    res["flood"] = relay_flood.measure_flood(lab, c, r, spec, relay6, wait_port, lablib.python_bin(),
                                                            f"{b4}:9001")
                print(json.dumps(res), flush=True)
                row.append(res)
            runs.append(row)
        lab.stop(be)
    keys = ["conn_per_s", "cpu_us_per_conn", "added_p50_us", "added_p99_us", "mib_per_s", "idle_rss_mib"]
    med = {}
    for i, first in enumerate(runs[0]):
        name = first["tool"]
        med[name] = {}
        for k in keys:
            vals = [row[i][k] for row in runs if k in row[i]]
            if vals:
                med[name][k] = statistics.median(vals)
        floods = [row[i]["flood"] for row in runs if "flood" in row[i]]
        if floods:
            med[name]["flood"] = {
                f: {k: statistics.median([x[f][k] for x in floods if k in x.get(f, {})])
                    for k in ("served_pct", "p99_ms", "idle_p99_ms", "direct_p99_ms", "direct_idle_p99_ms", "held") if any(k in x.get(f, {}) for x in floods)}
                for f in relay_flood.FLOODS}
        errs = [row[i]["error"] for row in runs if "error" in row[i]]
        if errs:
            med[name]["error"] = errs[0]
    print(f"\nmedians of {a.runs} runs")
    print(f"{'tool':14} {'conn/s':>8} {'CPU us/conn':>11} {'+p50 us':>8} {'+p99 us':>8} {'MiB/s':>7} "
          f"{'idle MiB':>8}")
    for name, m in med.items():
        if "error" in m and len(m) == 1:
            print(f"{name:14} {m['error']}")
            continue
        print(f"{name:14} {m.get('conn_per_s', 0):8.0f} {m.get('cpu_us_per_conn', 0):11.0f} "
              f"{m.get('added_p50_us', 0):8.0f} {m.get('added_p99_us', 0):8.0f} {m.get('mib_per_s', 0):7.0f} "
              f"{m.get('idle_rss_mib', 0):8.1f}")
    relay_flood.print_table({name: m["flood"] for name, m in med.items() if "flood" in m})
    ref = med.get("HAProxy", {})
    mine = med.get("reach relay", {})
    ratios = [f"{k} x{mine[k] / ref[k]:.2f}" for k in ("conn_per_s", "cpu_us_per_conn", "mib_per_s", "idle_rss_mib")
              if mine.get(k) and ref.get(k)]
    if ratios:
        print("\nreach relay / HAProxy: " + ", ".join(ratios))
    if a.out:
        Path(a.out).write_text(json.dumps({"runs": runs, "medians": med, "direct": direct}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
