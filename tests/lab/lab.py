"""reach test lab: network-namespace topologies for integration tests and benchmarks.

Standard library only; drives ``ip``, ``nft``, ``ethtool`` and ``sysctl`` with subprocess and
needs root. Every packet stays inside namespaces the lab created (no link to a real interface,
no default route out). Lab addresses come only from 198.18.0.0/15 and 2001:db8::/32. See
README.md next to this file for the API and the safety rules.

Quick use::

    from lab import Lab
    with Lab() as lab:
        t = lab.chain(routers=3, delay_ms=10)          # RTT client<->server = 20 ms
        r = t.client.run(["ping", "-c", "3", t.server4], timeout=10)
        print(r.stdout)
        print(t.emulated.stop_emulator()["timing_error_us"])
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import ipaddress
import json
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

__all__ = [
    "Lab", "Host", "Link", "LabError", "CommandError",
    "Pair", "Chain", "Firewalled", "Prohibited",
    "repo_root", "build_dir", "reach_bin", "linkem_bin", "listener_script",
    "parse_ping", "PingResult", "is_root",
]

# Every lab namespace is named "rl<creator pid>x<4 hex>-<name>", so leftovers of a crashed run
# can be recognised (and told apart from a concurrent run, whose creator is still alive).
NS_PREFIX = "rl"
# rl<creator pid>s<its start time, clock ticks since boot>x<random>-: the start time tells a
# creator that is gone from a new process that got its pid (a stale lab's namespaces were kept as
# live when a busy machine reused the pid within seconds).
_NS_RE = re.compile(r"^rl(\d+)(?:s(\d+))?x[0-9a-f]{4}-")

DEFAULT_TIMEOUT = 30.0
LAB_NET4 = ipaddress.ip_network("198.18.0.0/15")
LAB_NET6 = ipaddress.ip_network("2001:db8::/32")
MAX_LINKS = 250  # link index becomes the third IPv4 octet: 198.18.<index>.0/24


class LabError(RuntimeError):
    """The lab could not be built or torn down as asked."""


class CommandError(subprocess.CalledProcessError):
    """A lab command failed; str() includes the command's output."""

    def __str__(self) -> str:
        text = super().__str__()
        out = (self.stdout or "").strip()
        err = (self.stderr or "").strip()
        if out:
            text += f"\n--- stdout ---\n{out[-4000:]}"
        if err:
            text += f"\n--- stderr ---\n{err[-4000:]}"
        return text


# --------------------------------------------------------------------------- locating binaries

def repo_root() -> Path:
    """The repository root (this file is tests/lab/lab.py)."""
    return Path(__file__).resolve().parents[2]


def build_dir() -> Path:
    """$REACH_BUILD_DIR, else <repo>/build."""
    env = os.environ.get("REACH_BUILD_DIR")
    return Path(env) if env else repo_root() / "build"


def reach_bin() -> Path:
    """$REACH_BIN, else <build>/src/app/reach (may not exist yet)."""
    env = os.environ.get("REACH_BIN")
    return Path(env) if env else build_dir() / "src" / "app" / "reach"


def linkem_bin() -> Path:
    """$REACH_LINKEM, else <build>/tests/lab/reach-linkem (may not exist yet)."""
    env = os.environ.get("REACH_LINKEM")
    return Path(env) if env else build_dir() / "tests" / "lab" / "reach-linkem"


def listener_script() -> Path:
    """tests/lab/listener.py: a small TCP/UDP listener (stdlib only)."""
    return Path(__file__).resolve().parent / "listener.py"


def python_bin() -> str:
    """The system Python (not a pyenv shim), used for helper processes inside namespaces."""
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def is_root() -> bool:
    return os.geteuid() == 0


# --------------------------------------------------------------------------- small helpers

def _run_root(cmd: Sequence[str], *, check: bool = True, timeout: float = DEFAULT_TIMEOUT,
              input: str | None = None) -> subprocess.CompletedProcess:
    """Run a configuration command (ip/nft/...) from the root namespace. Never sends packets."""
    r = subprocess.run(list(cmd), input=input, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise CommandError(r.returncode, list(cmd), r.stdout, r.stderr)
    return r


def _start_time(pid: int) -> int | None:
    """The process's start time (/proc/PID/stat field 22), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _pid_alive(pid: int, start: str | None = None) -> bool:
    """Whether the lab creator `pid` still runs: with its start time from the namespace name,
    a process that reused the pid does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or _start_time(pid) == int(start)


def _creator_alive(m: re.Match) -> bool:
    return _pid_alive(int(m.group(1)), m.group(2))


def _netns_list() -> list[str]:
    r = _run_root(["ip", "netns", "list"], check=False, timeout=10)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def _netns_pids(ns: str) -> list[int]:
    r = _run_root(["ip", "netns", "pids", ns], check=False, timeout=10)
    return [int(x) for x in r.stdout.split() if x.isdigit()]


def _wait_for_line(proc: subprocess.Popen, want: bytes, timeout: float) -> bytes:
    """Read proc's (unbuffered, binary) stdout until a line equal to `want` arrives."""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        if want + b"\n" in data:
            return data
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, min(left, 0.5)))
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break  # EOF: the process exited
            data += chunk
        elif proc.poll() is not None:
            break
    if want + b"\n" in data:
        return data
    raise LabError(f"{proc.args!r} did not print {want!r} within {timeout}s "
                   f"(exit={proc.poll()}, stdout={data[-500:]!r})")


def _ns_sysctls(extra: dict[str, str] | None = None) -> dict[str, str]:
    s = {
        # IPv6 usable at once: no duplicate address detection, no router advertisements.
        "net.ipv6.conf.all.accept_dad": "0",
        "net.ipv6.conf.default.accept_dad": "0",
        "net.ipv6.conf.all.accept_ra": "0",
        "net.ipv6.conf.default.accept_ra": "0",
        "net.ipv6.conf.default.router_solicitations": "0",
        # Static, symmetric routing; multipath tests must not be bitten by reverse-path filters.
        "net.ipv4.conf.all.rp_filter": "0",
        "net.ipv4.conf.default.rp_filter": "0",
    }
    if extra:
        s.update(extra)
    return s


# ICMP error rate limits off: traceroute-like tests get an answer for every probe.
_NO_ICMP_RATELIMIT = {
    "net.ipv4.icmp_ratelimit": "0",
    "net.ipv4.icmp_msgs_per_sec": "100000",
    "net.ipv4.icmp_msgs_burst": "100000",
    "net.ipv6.icmp.ratelimit": "0",
}


# --------------------------------------------------------------------------- ping output

@dataclasses.dataclass
class PingResult:
    transmitted: int | None = None
    received: int | None = None
    loss_pct: float | None = None
    rtt_min: float | None = None
    rtt_avg: float | None = None
    rtt_max: float | None = None
    rtt_mdev: float | None = None
    ttls: list[int] = dataclasses.field(default_factory=list)
    rtts: list[float] = dataclasses.field(default_factory=list)


_SUMMARY_RE = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received.*?([\d.]+)% packet loss")
_RTT_RE = re.compile(r"(?:rtt|round-trip) min/avg/max/(?:mdev|stddev) = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
_REPLY_RE = re.compile(r"(?:ttl|hlim)=(\d+)(?: time=([\d.]+) ms)?")


def parse_ndjson(text: str) -> list[dict]:
    """reach's --json output: one object per line, each with a "type" and schema "version" 1
    (docs/JSON.md); raises AssertionError on a line that is not such an object."""
    out = []
    for line in text.splitlines():
        obj = json.loads(line)
        assert isinstance(obj, dict) and obj.get("version") == 1 and "type" in obj, line
        out.append(obj)
    return out


def parse_ping(text: str) -> PingResult:
    """Parse iputils-ping-compatible output (reach ping prints the same summary lines)."""
    p = PingResult()
    m = _SUMMARY_RE.search(text)
    if m:
        p.transmitted, p.received, p.loss_pct = int(m.group(1)), int(m.group(2)), float(m.group(3))
    m = _RTT_RE.search(text)
    if m:
        p.rtt_min, p.rtt_avg, p.rtt_max, p.rtt_mdev = (float(x) for x in m.groups())
    for line in text.splitlines():
        if "bytes from" not in line:
            continue
        m = _REPLY_RE.search(line)
        if m:
            p.ttls.append(int(m.group(1)))
            if m.group(2):
                p.rtts.append(float(m.group(2)))
    return p


# --------------------------------------------------------------------------- hosts and links

class Host:
    """One network namespace of the lab (lo is up). Create with Lab.host()."""

    def __init__(self, lab: "Lab", name: str, ns: str):
        self.lab = lab
        self.name = name
        self.ns = ns
        self.links: list[Link] = []

    def __repr__(self) -> str:
        return f"Host({self.name!r}, ns={self.ns!r})"

    # -- addresses
    @property
    def addrs4(self) -> list[str]:
        return [l.addr4(self) for l in self.links if l.addressed]

    @property
    def addrs6(self) -> list[str]:
        return [l.addr6(self) for l in self.links if l.addressed]

    @property
    def addr4(self) -> str:
        """The host's IPv4 address on its first link."""
        if not self.addrs4:
            raise LabError(f"{self.name} has no addressed link")
        return self.addrs4[0]

    @property
    def addr6(self) -> str:
        """The host's IPv6 address on its first link."""
        if not self.addrs6:
            raise LabError(f"{self.name} has no addressed link")
        return self.addrs6[0]

    def link_to(self, other: "Host") -> "Link":
        for l in self.links:
            if l.peer(self) is other:
                return l
        raise LabError(f"no link between {self.name} and {other.name}")

    def iface_to(self, other: "Host") -> str:
        """Name (inside this namespace) of the interface on the link to `other`."""
        return self.link_to(other).iface(self)

    # -- commands
    def wrap(self, cmd: Sequence[str], user: str | int | None = None) -> list[str]:
        """The argv that runs `cmd` inside this namespace (optionally unprivileged)."""
        argv = ["ip", "netns", "exec", self.ns]
        if user is not None:
            if isinstance(user, int):
                uid = gid = user
            else:
                pw = pwd.getpwnam(user)
                uid, gid = pw.pw_uid, pw.pw_gid
            argv += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return argv + [str(c) for c in cmd]

    def run(self, cmd: Sequence[str], check: bool = True, timeout: float = DEFAULT_TIMEOUT,
            user: str | int | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run cmd inside the namespace; text stdout/stderr captured. `user="nobody"` runs it
        with that uid/gid, no supplementary groups and no capabilities at all (bounding set
        empty, no_new_privs, so file capabilities and setuid bits do not apply either; a
        binary with file capabilities such as /bin/ping then fails to execute, EPERM).
        Raises CommandError when check and the exit status is not 0, and
        subprocess.TimeoutExpired (after killing it) when it runs longer than timeout."""
        argv = self.wrap(cmd, user)
        r = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                           env=env)
        if check and r.returncode != 0:
            raise CommandError(r.returncode, argv, r.stdout, r.stderr)
        return r

    def popen(self, cmd: Sequence[str], user: str | int | None = None,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text: bool = True,
              **kwargs) -> subprocess.Popen:
        """Start cmd in the background inside the namespace. The lab tracks the process and
        kills it (by pid) at teardown; stop it earlier with lab.stop(proc)."""
        argv = self.wrap(cmd, user)
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, text=text, **kwargs)
        self.lab._track(proc)
        return proc

    def run_timed(self, cmd: Sequence[str], timeout: float = DEFAULT_TIMEOUT
                  ) -> tuple[subprocess.CompletedProcess, float | None]:
        """run(cmd, check=False) and the seconds from its first output on stdout to its last: what
        the work took without the start and exit of the process (seconds each for an ASan build on
        a busy machine). Only for a program that writes as it goes (a header first)."""
        proc = self.popen(cmd, text=False, bufsize=0)
        fd, out, first, last = proc.stdout.fileno(), b"", None, None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                break
            last = time.monotonic()
            first = first or last
            out += chunk
        try:
            proc.wait(timeout=max(1.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        r = subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(errors="replace"),
                                        proc.stderr.read().decode(errors="replace"))
        return r, (last - first if first else None)

    def sysctl(self, key: str, value: str | int) -> None:
        self.run(["sysctl", "-q", "-w", f"{key}={value}"], timeout=10)

    def sysctls(self, values: dict[str, str | int], ignore_missing: bool = False) -> None:
        if not values:
            return
        args = ["sysctl", "-q"] + (["-e"] if ignore_missing else []) + ["-w"]
        args += [f"{k}={v}" for k, v in values.items()]
        self.run(args, timeout=10, check=not ignore_missing)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`ip -n <ns> args...` (configuration only)."""
        return _run_root(["ip", "-n", self.ns, *args], check=check, timeout=10)

    def ip_batch(self, lines: Iterable[str]) -> None:
        """Several `ip` commands in one process: `ip -n <ns> -batch -`."""
        text = "\n".join(lines) + "\n"
        if text.strip():
            _run_root(["ip", "-n", self.ns, "-batch", "-"], input=text, timeout=20)

    def nft(self, ruleset: str) -> None:
        """Load an nftables ruleset (text for `nft -f -`) in this namespace."""
        self.run(["nft", "-f", "-"], input=ruleset, timeout=10)

    def add_loss(self, pct: float, hook: str = "forward", iif: str | None = None,
                 oif: str | None = None) -> None:
        """Drop pct% of packets at an nftables hook (forward: only routed traffic; input /
        output: traffic to/from this host; ICMPv6 neighbour discovery / MLD always pass).
        Replaces an earlier add_loss on this host; pct=0 removes it. iif/oif restrict it to
        one interface (e.g. one direction through a router)."""
        if hook not in ("forward", "input", "output", "prerouting", "postrouting"):
            raise LabError(f"add_loss: bad hook {hook!r}")
        if not 0 <= pct <= 100:
            raise LabError(f"add_loss: pct {pct} out of range")
        self.run(["nft", "delete", "table", "inet", "lab_loss"], check=False, timeout=10)
        if pct == 0:
            return
        match = ""
        if iif:
            match += f'iifname "{iif}" '
        if oif:
            match += f'oifname "{oif}" '
        threshold = int(round(pct * 100))
        self.nft(f"""
table inet lab_loss {{
  chain c {{
    type filter hook {hook} priority -50; policy accept;
    icmpv6 type {{ 130, 131, 132, 133, 134, 135, 136, 137, 143 }} accept
    {match}numgen random mod 10000 < {threshold} drop
  }}
}}
""")

    def listen(self, tcp: Iterable[int] = (), udp: Iterable[int] = (), mode: str = "close",
               bind: str = "::", user: str | int | None = None,
               max_seconds: float = 900) -> subprocess.Popen:
        """Start tests/lab/listener.py here (dual-stack TCP listeners that accept and `mode`
        close|echo|hold, UDP echo) and wait until it listens. Tracked; stopped at teardown."""
        cmd = [python_bin(), str(listener_script()), "--mode", mode, "--bind", bind,
               "--max-seconds", str(max_seconds)]
        for p in tcp:
            cmd += ["--tcp", str(p)]
        for p in udp:
            cmd += ["--udp", str(p)]
        proc = self.popen(cmd, user=user, stdout=subprocess.PIPE, stderr=self.lab._logfile(
            f"listener-{self.name}"), text=False, bufsize=0)
        _wait_for_line(proc, b"ready", timeout=10)
        return proc

    def pids(self) -> list[int]:
        return _netns_pids(self.ns)

    def pids_catching(self, signum: int, exe: str = "reach", timeout: float = 20.0) -> list[int]:
        """The pids of this namespace's `exe` processes once one catches signum (its handler is
        installed, SigCgt in /proc). Signalling before that kills a slow-starting process (an
        ASan build on a busy machine) with the default action instead of testing its handler."""
        bit = 1 << (signum - 1)
        deadline = time.monotonic() + timeout
        while True:
            ready = []
            for pid in self.pids():
                try:
                    if Path(f"/proc/{pid}/exe").resolve().name != exe:
                        continue
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                caught = next((l.split()[1] for l in status.splitlines() if l.startswith("SigCgt:")), "0")
                if int(caught, 16) & bit:
                    ready.append(pid)
            if ready:
                return ready
            if time.monotonic() > deadline:
                raise AssertionError(f"no {exe} in {self.ns} caught signal {signum} within {timeout} s")
            time.sleep(0.02)


@dataclasses.dataclass(eq=False, repr=False)
class Link:
    """A veth link between hosts a and b, possibly through a reach-linkem namespace.

    Direction "ab" is a -> b, "ba" is b -> a. Addresses: a gets 198.18.<index>.1/24 and
    2001:db8:<index>::1/64, b gets .2 / ::2 (when addressed)."""

    lab: "Lab"
    index: int
    a: Host
    b: Host
    if_a: str
    if_b: str
    addressed: bool = True
    delay_ab_ms: float = 0.0
    delay_ba_ms: float = 0.0
    loss_ab_pct: float = 0.0
    loss_ba_pct: float = 0.0
    emulator_ns: str | None = None     # the link namespace holding reach-linkem
    emulator: subprocess.Popen | None = None
    stats_file: Path | None = None
    _stats: dict | None = None

    def __repr__(self) -> str:
        emu = ""
        if self.emulated:
            emu = (f", delay_ms=({self.delay_ab_ms}, {self.delay_ba_ms})"
                   f", loss_pct=({self.loss_ab_pct}, {self.loss_ba_pct})")
        return (f"Link({self.index}: {self.a.name}/{self.if_a} <-> {self.b.name}/{self.if_b}"
                f"{emu})")

    @property
    def emulated(self) -> bool:
        return self.emulator_ns is not None

    @property
    def net4(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(f"198.18.{self.index}.0/24")

    @property
    def net6(self) -> ipaddress.IPv6Network:
        return ipaddress.ip_network(f"2001:db8:{self.index}::/64")

    @property
    def a4(self) -> str:
        return f"198.18.{self.index}.1"

    @property
    def b4(self) -> str:
        return f"198.18.{self.index}.2"

    @property
    def a6(self) -> str:
        return str(ipaddress.ip_address(f"2001:db8:{self.index}::1"))

    @property
    def b6(self) -> str:
        return str(ipaddress.ip_address(f"2001:db8:{self.index}::2"))

    def _side(self, host: Host) -> str:
        if host is self.a:
            return "a"
        if host is self.b:
            return "b"
        raise LabError(f"{host.name} is not on link {self.index}")

    def peer(self, host: Host) -> Host:
        return self.b if self._side(host) == "a" else self.a

    def iface(self, host: Host) -> str:
        return self.if_a if self._side(host) == "a" else self.if_b

    def addr4(self, host: Host) -> str:
        return self.a4 if self._side(host) == "a" else self.b4

    def addr6(self, host: Host) -> str:
        return self.a6 if self._side(host) == "a" else self.b6

    def stop_emulator(self, timeout: float = 20.0) -> dict:
        """Stop reach-linkem (SIGTERM) and return its statistics (parsed JSON):
        {"ab": {...frames...}, "ba": {...}, "forwarded", "dropped",
         "timing_error_us": {"count","mean","min","p50","p90","p99","p999","max"},
         "wake_latency_us": {...}, "send_call_us": {...}, "timer_late_us": {...}}.
        The link stops forwarding. Idempotent: later calls return the same dict."""
        if self._stats is not None:
            return self._stats
        if self.emulator is None:
            raise LabError(f"link {self.index} has no emulator")
        proc = self.emulator
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
                raise LabError(f"reach-linkem on link {self.index} ignored SIGTERM")
        if proc.stdout:
            proc.stdout.close()
        if proc.returncode != 0:
            raise LabError(f"reach-linkem on link {self.index} exited {proc.returncode}: "
                           f"{self.lab._read_log(f'linkem-{self.index}')}")
        try:
            self._stats = json.loads(self.stats_file.read_text())
        except (OSError, ValueError) as e:
            raise LabError(f"reach-linkem stats {self.stats_file}: {e}") from e
        return self._stats


# --------------------------------------------------------------------------- topologies

@dataclasses.dataclass
class Pair:
    """client <-> server on one link (link.a is client)."""
    client: Host
    server: Host
    link: Link
    client4: str
    client6: str
    server4: str
    server6: str


@dataclasses.dataclass
class Chain:
    """client - r1 - ... - rN - server. links[i] joins hop i and hop i+1 (client is hop 0).
    hops4/hops6[i] is router i+1's address facing the client (the source of its ICMP errors);
    the server's address is last. `emulated` is the link carrying the delay/loss, or None."""
    client: Host
    server: Host
    routers: list[Host]
    links: list[Link]
    client4: str
    client6: str
    server4: str
    server6: str
    hops4: list[str]
    hops6: list[str]
    emulated: Link | None


@dataclasses.dataclass
class Firewalled:
    """A server that "looks down" to ping: ICMP echo-requests dropped (v4 and v6), TCP
    open_port answered by a real listener, closed_port answered by the kernel with RST."""
    client: Host
    server: Host
    routers: list[Host]
    links: list[Link]
    client4: str
    client6: str
    server4: str
    server6: str
    open_port: int
    closed_port: int
    listener: subprocess.Popen
    emulated: Link | None


@dataclasses.dataclass
class Prohibited:
    """client - router - server. Traffic to server4/server6 is answered with ICMP
    administratively prohibited (by the router's firewall, or the server's when
    firewall_on="host"); traffic to unreachable4/unreachable6 (unused addresses on the
    server's subnet) is answered by the router with host unreachable (ICMPv6 address
    unreachable). router4/router6: the router's client-facing address = source of its errors;
    prohibited_from4/6: the source of the admin-prohibited errors."""
    client: Host
    router: Host
    server: Host
    links: list[Link]
    client4: str
    client6: str
    router4: str
    router6: str
    server4: str
    server6: str
    unreachable4: str
    unreachable6: str
    prohibited_from4: str
    prohibited_from6: str


# --------------------------------------------------------------------------- the lab

class Lab:
    """A set of network namespaces, links and processes, all removed on exit.

    Use as a context manager (or call close()). Also registered with atexit as a safety net.
    Namespaces are named rl<pid>s<its start time>x<rand>-<name>; Lab.cleanup_stale() removes
    those whose creating process is gone (a new process with the same pid does not count).

    icmp_ratelimit=False turns the kernel's ICMP error rate limits off in every namespace
    (an answer for every probe); pass True to keep the kernel defaults.
    realtime_emulator: run reach-linkem SCHED_FIFO (default: $REACH_LAB_RT != "0")."""

    def __init__(self, icmp_ratelimit: bool = False, realtime_emulator: bool | None = None,
                 keep_logs: bool = False):
        if not is_root():
            raise LabError("the lab needs root (network namespaces, veth, nftables)")
        if shutil.which("ip") is None:
            raise LabError("iproute2 `ip` not found")
        self.id = f"{NS_PREFIX}{os.getpid()}s{_start_time(os.getpid())}x{secrets.token_hex(2)}"
        self.hosts: dict[str, Host] = {}
        self.links: list[Link] = []
        self.namespaces: list[str] = []
        self._procs: list[subprocess.Popen] = []
        self._extra_prefixes: list[tuple[ipaddress._BaseNetwork, Host]] = []
        self._icmp_ratelimit = icmp_ratelimit
        if realtime_emulator is None:
            realtime_emulator = os.environ.get("REACH_LAB_RT", "1") != "0"
        self._realtime = realtime_emulator
        self._keep_logs = keep_logs
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"{self.id}-"))
        self._closed = False
        atexit.register(self.close)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Lab({self.id}, hosts={list(self.hosts)})"

    # -- bookkeeping
    def _track(self, proc: subprocess.Popen) -> None:
        self._procs.append(proc)

    def _logfile(self, name: str):
        return open(self.tmpdir / f"{name}.log", "ab")

    def _read_log(self, name: str) -> str:
        try:
            return (self.tmpdir / f"{name}.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def _add_ns(self, suffix: str) -> str:
        if self._closed:
            raise LabError("lab is closed")
        ns = f"{self.id}-{suffix}"
        _run_root(["ip", "netns", "add", ns], timeout=10)
        self.namespaces.append(ns)
        return ns

    # -- building blocks
    def host(self, name: str) -> Host:
        """A new namespace `name` (unique in this lab) with lo up and lab sysctls set."""
        if name in self.hosts:
            raise LabError(f"host {name!r} exists")
        if not re.fullmatch(r"[a-z][a-z0-9]{0,11}", name):
            raise LabError(f"host name {name!r}: use 1-12 lowercase letters/digits")
        ns = self._add_ns(name)
        h = Host(self, name, ns)
        self.hosts[name] = h
        h.ip("link", "set", "lo", "up")
        h.sysctls(_ns_sysctls())
        if not self._icmp_ratelimit:
            h.sysctls(_NO_ICMP_RATELIMIT, ignore_missing=True)
        return h

    def link(self, a: Host, b: Host, delay_ms: float = 0, loss_pct: float = 0, *,
             delay_ab_ms: float | None = None, delay_ba_ms: float | None = None,
             loss_ab_pct: float | None = None, loss_ba_pct: float | None = None,
             seed: int = 1, address: bool = True, emulate: bool | None = None,
             mtu: int | None = None, offloads: bool | None = None,
             emulator_args: Sequence[str] = (), static_neigh: bool | None = None) -> Link:
        """Join a and b with a veth pair.

        delay_ms / loss_pct apply to EACH direction (round-trip delay = 2*delay_ms; round-trip
        loss = 1-(1-p)^2); *_ab_* (a->b) and *_ba_* (b->a) override one direction. With any
        delay or loss (or emulate=True) a reach-linkem namespace sits in between
        (a <-veth-> link ns <-veth-> b), offloads are turned off on all four veth ends, and
        the call returns after the emulator printed "ready". ARP and IPv6 ND are exempt from
        the emulator's loss. emulator_args: extra reach-linkem arguments.
        offloads: None (default) = veth offloads (checksum, TSO/GSO/GRO) off on the ends of
        an emulated link, left on for a plain link; False = off everywhere; True = left on
        (reach-linkem copes with partial checksums and GSO frames via PACKET_VNET_HDR).
        static_neigh: permanent ARP/neighbour entries for the two ends, so the first packet
        does not pay an extra round trip for ARP/ND through the delay; default True on an
        emulated link, False on a plain one.
        Interfaces are named e<index>-<peer name> (15 chars max)."""
        index = len(self.links)
        if index >= MAX_LINKS:
            raise LabError("too many links")
        d_ab = delay_ms if delay_ab_ms is None else delay_ab_ms
        d_ba = delay_ms if delay_ba_ms is None else delay_ba_ms
        l_ab = loss_pct if loss_ab_pct is None else loss_ab_pct
        l_ba = loss_pct if loss_ba_pct is None else loss_ba_pct
        if emulate is None:
            emulate = bool(d_ab or d_ba or l_ab or l_ba)
        if_a = f"e{index}-{b.name}"[:15]
        if_b = f"e{index}-{a.name}"[:15]
        link = Link(self, index, a, b, if_a, if_b, addressed=address, delay_ab_ms=d_ab,
                    delay_ba_ms=d_ba, loss_ab_pct=l_ab, loss_ba_pct=l_ba)
        mtu_args = ["mtu", str(mtu)] if mtu else []
        if not emulate:
            a.ip("link", "add", if_a, *mtu_args, "type", "veth", "peer", "name", if_b,
                 *mtu_args, "netns", b.ns)
            if offloads is False:
                for h, dev in ((a, if_a), (b, if_b)):
                    self._offloads_off(h.ns, dev)
        else:
            lns = self._add_ns(f"l{index}")
            link.emulator_ns = lns
            # The link namespace is a wire: no IPv6 (no ND/MLD of its own), no addresses.
            _run_root(["ip", "netns", "exec", lns, "sysctl", "-q", "-w",
                       "net.ipv6.conf.all.disable_ipv6=1",
                       "net.ipv6.conf.default.disable_ipv6=1"], timeout=10)
            a.ip("link", "add", if_a, *mtu_args, "type", "veth", "peer", "name", "pa",
                 *mtu_args, "netns", lns)
            b.ip("link", "add", if_b, *mtu_args, "type", "veth", "peer", "name", "pb",
                 *mtu_args, "netns", lns)
            _run_root(["ip", "-n", lns, "-batch", "-"], input="link set lo up\n"
                      "link set pa up\nlink set pb up\n", timeout=10)
            if offloads is not True:
                for ns, dev in ((a.ns, if_a), (b.ns, if_b), (lns, "pa"), (lns, "pb")):
                    self._offloads_off(ns, dev)
        a.links.append(link)
        b.links.append(link)
        self.links.append(link)
        for h, dev in ((a, if_a), (b, if_b)):
            cmds = [f"link set {dev} up"]
            if address:
                cmds += [f"address add {link.addr4(h)}/24 dev {dev}",
                         f"address add {link.addr6(h)}/64 dev {dev} nodad"]
            h.ip_batch(cmds)
        if static_neigh is None:
            static_neigh = emulate
        if static_neigh and address:
            mac = {h: self._mac(h, dev) for h, dev in ((a, if_a), (b, if_b))}
            for h, dev in ((a, if_a), (b, if_b)):
                peer = link.peer(h)
                h.ip_batch([f"neigh replace {link.addr4(peer)} lladdr {mac[peer]} dev {dev} "
                            f"nud permanent",
                            f"neigh replace {link.addr6(peer)} lladdr {mac[peer]} dev {dev} "
                            f"nud permanent"])
        if emulate:
            self._start_emulator(link, seed, emulator_args)
        return link

    @staticmethod
    def _mac(host: Host, dev: str) -> str:
        out = host.ip("-j", "link", "show", "dev", dev).stdout
        return json.loads(out)[0]["address"]

    @staticmethod
    def _offloads_off(ns: str, dev: str) -> None:
        # CHECKSUM_PARTIAL / GSO frames must not reach the emulator (it also copes with
        # them through PACKET_VNET_HDR, this is belt and braces).
        _run_root(["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx", "off",
                   "sg", "off", "tso", "off", "gso", "off", "gro", "off"], timeout=10,
                  check=False)
        r = _run_root(["ip", "netns", "exec", ns, "ethtool", "-k", dev], timeout=10)
        feats = dict(line.strip().split(": ", 1) for line in r.stdout.splitlines()
                     if ": " in line)
        for f in ("tx-checksumming", "generic-segmentation-offload",
                  "generic-receive-offload", "tcp-segmentation-offload"):
            if feats.get(f, "off").startswith("on"):
                raise LabError(f"could not turn {f} off on {dev} in {ns}")

    def _start_emulator(self, link: Link, seed: int, extra: Sequence[str] = ()) -> None:
        exe = linkem_bin()
        if not exe.exists():
            raise LabError(f"reach-linkem not found at {exe}: build it with "
                           f"`cmake --build <build> --target reach-linkem` and set "
                           f"REACH_BUILD_DIR or REACH_LINKEM")
        link.stats_file = self.tmpdir / f"linkem-{link.index}.json"
        cmd = [str(exe), "--if-a", "pa", "--if-b", "pb",
               "--delay-ab", repr(float(link.delay_ab_ms)),
               "--delay-ba", repr(float(link.delay_ba_ms)),
               "--loss-ab", repr(float(link.loss_ab_pct)),
               "--loss-ba", repr(float(link.loss_ba_pct)),
               "--seed", str(seed), "--stats", str(link.stats_file),
               "--die-with-parent", "--max-seconds", "3600"]
        if self._realtime:
            cmd.append("--realtime")
        cmd += [str(x) for x in extra]
        proc = subprocess.Popen(["ip", "netns", "exec", link.emulator_ns, *cmd],
                                stdout=subprocess.PIPE, stderr=self._logfile(
                                    f"linkem-{link.index}"), bufsize=0)
        self._track(proc)
        link.emulator = proc
        try:
            _wait_for_line(proc, b"ready", timeout=30)  # an ASan build's start on a busy machine: seconds
        except LabError as e:
            raise LabError(f"{e}\nlinkem log: {self._read_log(f'linkem-{link.index}')}") from e

    # -- routing
    def enable_forwarding(self, host: Host) -> None:
        host.sysctls({"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"})

    def route_all(self) -> None:
        """Static shortest-path routes in every host to every lab subnet (v4 and v6) and to
        every prefix added with local_addresses(); forwarding on for hosts with 2+ links.
        Call again after adding links. Never installs a default route."""
        hosts = list(self.hosts.values())
        for h in hosts:
            if len(h.links) >= 2:
                self.enable_forwarding(h)
        for h in hosts:
            first = self._first_hops(h)  # other host -> (link, neighbour)
            cmds = []

            def via(target: Host):
                best = first.get(target)
                return best

            for link in self.links:
                if not link.addressed or h in (link.a, link.b):
                    continue
                cands = [first[x] + (x,) for x in (link.a, link.b) if x in first]
                if not cands:
                    continue
                lk, nb, _, _ = min(cands, key=lambda c: c[2])
                cmds.append(f"route replace {link.net4} via {lk.addr4(nb)}")
                cmds.append(f"route replace {link.net6} via {lk.addr6(nb)}")
            for prefix, owner in self._extra_prefixes:
                if owner is h:
                    continue
                hop = via(owner)
                if hop is None:
                    continue
                lk, nb, _ = hop
                if prefix.version == 4:
                    cmds.append(f"route replace {prefix} via {lk.addr4(nb)}")
                else:
                    cmds.append(f"route replace {prefix} via {lk.addr6(nb)}")
            h.ip_batch(cmds)

    def _first_hops(self, src: Host) -> dict[Host, tuple[Link, Host, int]]:
        """BFS over addressed links: for each reachable host, (first link, neighbour, dist)."""
        out: dict[Host, tuple[Link, Host, int]] = {}
        queue = collections.deque()
        for lk in src.links:
            if not lk.addressed:
                continue
            nb = lk.peer(src)
            if nb not in out and nb is not src:
                out[nb] = (lk, nb, 1)
                queue.append(nb)
        while queue:
            cur = queue.popleft()
            lk0, nb0, d = out[cur]
            for lk in cur.links:
                if not lk.addressed:
                    continue
                nxt = lk.peer(cur)
                if nxt is src or nxt in out:
                    continue
                out[nxt] = (lk0, nb0, d + 1)
                queue.append(nxt)
        return out

    def local_addresses(self, host: Host, prefix: str, prefix6: str | None = None) -> None:
        """Make every address of prefix (e.g. "198.19.0.0/16") and optionally prefix6 (e.g.
        "2001:db8:ff00::/40") local to host (`ip route add local <prefix> dev lo`), and route
        them there from every other host."""
        for p in (prefix, prefix6):
            if p is None:
                continue
            net = ipaddress.ip_network(p)
            lab_net = LAB_NET4 if net.version == 4 else LAB_NET6
            if not net.subnet_of(lab_net):
                raise LabError(f"{net} is outside the lab ranges {LAB_NET4} / {LAB_NET6}")
            fam = [] if net.version == 4 else ["-6"]
            host.ip(*fam, "route", "add", "local", str(net), "dev", "lo")
            self._extra_prefixes.append((net, host))
        self.route_all()

    # -- topologies
    def pair(self, delay_ms: float = 0, loss_pct: float = 0, **link_kw) -> Pair:
        """client <-> server on one link (delay/loss as in link(): each direction)."""
        c, s = self.host("client"), self.host("server")
        lk = self.link(c, s, delay_ms=delay_ms, loss_pct=loss_pct, **link_kw)
        return Pair(c, s, lk, lk.a4, lk.a6, lk.b4, lk.b6)

    def _chain_hosts(self, routers: int, delay_ms: float, loss_pct: float, delay_link: int,
                     link_kw: dict) -> tuple[list[Host], list[Link], Link | None]:
        if routers < 0 or routers > 50:
            raise LabError("routers must be 0..50")
        nodes = [self.host("client")] + [self.host(f"r{i + 1}") for i in range(routers)] + \
                [self.host("server")]
        nlinks = len(nodes) - 1
        if not 0 <= delay_link < nlinks:
            raise LabError(f"delay_link {delay_link} not in 0..{nlinks - 1}")
        links, emulated = [], None
        for i in range(nlinks):
            kw = dict(link_kw) if i == delay_link else {}
            if i == delay_link:
                lk = self.link(nodes[i], nodes[i + 1], delay_ms=delay_ms, loss_pct=loss_pct, **kw)
                if lk.emulated:
                    emulated = lk
            else:
                lk = self.link(nodes[i], nodes[i + 1])
            links.append(lk)
        self.route_all()
        return nodes, links, emulated

    def chain(self, routers: int = 3, delay_ms: float = 0, loss_pct: float = 0,
              delay_link: int = 0, **link_kw) -> Chain:
        """client - r1 - ... - r<routers> - server, forwarding and static routes both ways
        (v4 and v6). The delay/loss is put on ONE link, links[delay_link] (0 = client-r1), in
        each direction: RTT client<->server = 2*delay_ms (not per link). Extra keyword
        arguments go to that link (e.g. delay_ab_ms=, loss_ab_pct=, seed=)."""
        nodes, links, emulated = self._chain_hosts(routers, delay_ms, loss_pct, delay_link,
                                                    link_kw)
        client, server, rs = nodes[0], nodes[-1], nodes[1:-1]
        hops4 = [links[i].b4 for i in range(len(links))]  # node i+1's client-facing address
        hops6 = [links[i].b6 for i in range(len(links))]
        return Chain(client, server, rs, links, links[0].a4, links[0].a6, links[-1].b4,
                     links[-1].b6, hops4, hops6, emulated)

    def firewalled_server(self, routers: int = 0, delay_ms: float = 0, loss_pct: float = 0,
                          open_port: int = 80, closed_port: int = 81,
                          delay_link: int = 0, **link_kw) -> Firewalled:
        """client -(routers)- server; the server's nftables drop ICMP/ICMPv6 echo-request (not
        neighbour discovery), a listener accepts (and closes) TCP open_port, closed_port has
        no listener so the kernel answers RST."""
        nodes, links, emulated = self._chain_hosts(routers, delay_ms, loss_pct, delay_link,
                                                    link_kw)
        server = nodes[-1]
        server.nft(f"""
table inet lab_fw {{
  chain input {{
    type filter hook input priority 0; policy accept;
    icmp type echo-request drop
    icmpv6 type echo-request drop
    tcp dport {open_port} accept
  }}
}}
""")
        listener = server.listen(tcp=[open_port])
        return Firewalled(nodes[0], server, nodes[1:-1], links, links[0].a4, links[0].a6,
                          links[-1].b4, links[-1].b6, open_port, closed_port, listener,
                          emulated)

    def prohibited(self, firewall_on: str = "router", delay_ms: float = 0) -> Prohibited:
        """client - router - server. Everything to the server is rejected with ICMP
        administratively prohibited (code 13 / ICMPv6 code 1) by the router's forward chain
        (firewall_on="router") or by the server's input chain (firewall_on="host"; then the
        errors come from the server). Everything to unreachable4/6 (198.18.<L>.66,
        2001:db8:<L>::66 on the server's subnet, no such host) is rejected by the router with
        host-unreachable / ICMPv6 addr-unreachable. The server still answers ARP/ND."""
        if firewall_on not in ("router", "host"):
            raise LabError("firewall_on must be 'router' or 'host'")
        c, r, s = self.host("client"), self.host("router"), self.host("server")
        l0 = self.link(c, r, delay_ms=delay_ms)
        l1 = self.link(r, s)
        self.route_all()
        un4 = f"198.18.{l1.index}.66"
        un6 = str(ipaddress.ip_address(f"2001:db8:{l1.index}::66"))
        prohibit = f"""
    ip daddr {l1.b4} reject with icmp type admin-prohibited
    ip6 daddr {l1.b6} reject with icmpv6 type admin-prohibited"""
        r.nft(f"""
table inet lab_prohibit {{
  chain forward {{
    type filter hook forward priority 0; policy accept;
    ip daddr {un4} reject with icmp type host-unreachable
    ip6 daddr {un6} reject with icmpv6 type addr-unreachable{prohibit if firewall_on == "router" else ""}
  }}
}}
""")
        if firewall_on == "host":
            s.nft("""
table inet lab_prohibit {
  chain input {
    type filter hook input priority 0; policy accept;
    icmpv6 type { 133, 134, 135, 136 } accept
    meta l4proto { icmp, icmpv6, tcp, udp } reject with icmpx type admin-prohibited
  }
}
""")
            from4, from6 = l1.b4, l1.b6
        else:
            from4, from6 = l0.b4, l0.b6
        return Prohibited(c, r, s, [l0, l1], l0.a4, l0.a6, l0.b4, l0.b6, l1.b4, l1.b6,
                          un4, un6, from4, from6)

    # -- processes
    def stop(self, proc: subprocess.Popen, timeout: float = 20.0) -> int | None:
        """SIGTERM a tracked process (by pid), SIGKILL after timeout; returns its exit code. The
        timeout is for an ASan daemon on a busy machine: its exit (leak check, threads joined, the
        notifications in flight answered) takes seconds there, and a kill fails `== 0`."""
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            except ProcessLookupError:
                pass
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass
        return proc.returncode

    # -- teardown
    def close(self) -> None:
        """Stop every tracked process (emulators first, so their stats are written), kill
        anything left inside the lab's namespaces (by pid), delete the namespaces. Idempotent;
        never raises."""
        if self._closed:
            return
        self._closed = True
        try:
            atexit.unregister(self.close)
        except Exception:
            pass
        errors = []
        for lk in self.links:
            if lk.emulator is not None and lk._stats is None:
                try:
                    lk.stop_emulator(timeout=3)
                except Exception as e:  # stats are best effort at teardown
                    errors.append(str(e))
        for p in self._procs:
            try:
                self.stop(p, timeout=3)  # no exit code is asked for here: do not wait long
            except Exception as e:
                errors.append(str(e))
        for ns in reversed(self.namespaces):
            for attempt in range(3):
                pids = _netns_pids(ns)
                if not pids:
                    break
                for pid in pids:  # only processes inside a namespace this lab created
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05 * (attempt + 1))
            try:
                r = _run_root(["ip", "netns", "del", ns], check=False, timeout=10)
                if r.returncode != 0 and ns in _netns_list():
                    errors.append(f"ip netns del {ns}: {r.stderr.strip()}")
            except Exception as e:
                errors.append(f"ip netns del {ns}: {e}")
        if not self._keep_logs:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        if errors:
            print(f"lab {self.id} teardown: " + "; ".join(errors), file=sys.stderr)

    @staticmethod
    def cleanup_stale(include_live: bool = False) -> list[str]:
        """Delete lab namespaces (rl<pid>x....-*) left by runs whose process is gone (all of
        them with include_live=True), killing (by pid) what still runs inside them, and their
        temporary directories. Returns the names deleted."""
        deleted = []
        for ns in _netns_list():
            m = _NS_RE.match(ns)
            if not m:
                continue
            if not include_live and _creator_alive(m):
                continue
            for pid_in in _netns_pids(ns):
                try:
                    os.kill(pid_in, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            # A killed `ip netns exec` child that has not exited yet still holds the namespace
            # file in its mount namespace: the delete then fails with EBUSY (seen under load).
            end = time.monotonic() + 5
            while _netns_pids(ns) and time.monotonic() < end:
                time.sleep(0.05)
            for attempt in range(3):
                r = _run_root(["ip", "netns", "del", ns], check=False, timeout=10)
                if r.returncode == 0:
                    deleted.append(ns)
                    break
                time.sleep(0.2)
        tmp = Path(tempfile.gettempdir())
        for d in tmp.glob(f"{NS_PREFIX}*x*-*"):
            m = _NS_RE.match(d.name)
            if m and d.is_dir() and (include_live or not _creator_alive(m)):
                shutil.rmtree(d, ignore_errors=True)
        return deleted

    @staticmethod
    def namespaces_left(include_live: bool = True) -> list[str]:
        """Lab namespaces currently present (by default also those of live runs)."""
        out = []
        for ns in _netns_list():
            m = _NS_RE.match(ns)
            if m and (include_live or not _creator_alive(m)):
                out.append(ns)
        return out
