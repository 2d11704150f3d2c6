#!/usr/bin/python3
"""The main job on a built-in default: build a small namespace lab and ask reach about it.

client - router - server, 5 ms of emulated delay each way on the first link. The server is the
cloud host that "looks down": its firewall drops ICMP echo but lets TCP port 80 in. reach pings
it over ICMP (nothing comes back), then with TCP SYN to port 80 (SYN-ACK: alive and open),
to port 81 (RST: alive, closed), and with a full connect(); then the router-side unreachable
and admin-prohibited answers of a second lab. Then the other questions of an operator about the
same server: which way do packets go (reach trace, ICMP and TCP), what is open on it (reach scan)
and why each backend port fails (reach check), and a round of reach watch, the monitor that keeps
asking. Everything stays inside the lab's namespaces.
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import lab as lablib  # noqa: E402


def show(host, title, args, command="ping"):
    cmd = [str(lablib.reach_bin()), command, *[str(a) for a in args]]
    print(f"\n=== {title}\n$ reach {command} {' '.join(str(a) for a in args)}", flush=True)
    r = host.run(cmd, check=False, timeout=60)
    sys.stdout.write(r.stdout)
    sys.stdout.write(r.stderr)
    print(f"(exit {r.returncode})", flush=True)


def main():
    if not lablib.is_root():
        sys.exit("the demo builds network namespaces and needs root")
    if not lablib.reach_bin().exists():
        sys.exit(f"reach is not built at {lablib.reach_bin()} (run: make build)")
    lablib.Lab.cleanup_stale()
    with lablib.Lab() as lab:
        fw = lab.firewalled_server(routers=1, delay_ms=5)
        print(f"lab: client {fw.client4} -- router -- server {fw.server4} / {fw.server6}, "
              f"10 ms round trip; the server drops ICMP echo, port {fw.open_port} open, "
              f"port {fw.closed_port} closed")
        show(fw.client, "ICMP echo: the server looks down", ["-c", 3, "-i", 0.2, "-W", 1, fw.server4])
        show(fw.client, "TCP SYN to the open port: alive", ["--tcp", "-p", fw.open_port, "-c", 3, "-i", 0.2, fw.server4])
        show(fw.client, "TCP SYN to a closed port: alive, closed", ["--tcp", "-p", fw.closed_port, "-c", 2, "-i", 0.2, fw.server4])
        show(fw.client, "TCP connect over IPv6", ["--connect", "-p", fw.open_port, "-c", 2, "-i", 0.2, fw.server6])
        show(fw.client, "ICMP traceroute: the echo requests are dropped at the server", ["-n", "--icmp", "-w", 0.5, "-m", 4, fw.server4],
             command="trace")
        show(fw.client, "TCP traceroute to the open port gets through", ["-n", "--tcp", "-p", fw.open_port, fw.server4],
             command="trace")
        show(fw.client, "what is open on it", ["-p", "1-1024", "--no-progress", fw.server4], command="scan")
        show(fw.client, "keep watching: one round of each probe (reach watch runs forever without --once)",
             ["--once", "--no-live", "-W", "1s", fw.server4, f"tcp://{fw.server4}:{fw.open_port}",
              f"tcp://[{fw.server6}]:{fw.closed_port}"], command="watch")
        show(fw.client, "why each backend port fails",
             ["-W", 0.5, f"{fw.server4}:{fw.open_port}", f"{fw.server4}:{fw.closed_port}",
              f"[{fw.server6}]:{fw.open_port}"], command="check")
    with lablib.Lab() as lab:
        pr = lab.prohibited()
        show(pr.client, "a firewall that answers admin-prohibited, and a host that is not there",
             ["-c", 2, "-i", 0.2, "-W", 1, pr.server4, pr.unreachable4])


if __name__ == "__main__":
    main()
