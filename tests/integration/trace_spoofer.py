"""Forges ICMP errors about the UDP trace probes it sees on an interface (an on-path router).

Run inside a lab namespace: trace_spoofer.py IFACE COUNT. For each UDP probe (up to COUNT, at
most 20 s) it sends to the probe's source, from this router's address on IFACE:
  - a time exceeded quoting the probe with another source port (another flow),
  - a time exceeded quoting the probe with its payload cookie damaged (a guess at the cookie),
  - a time exceeded quoting a UDP datagram to another host,
  - three copies of a genuine time exceeded quoting the probe (an ICMP storm: duplicates).
Prints "ready" once it is sniffing, then one line per probe it forged for.
"""
import sys

from scapy.all import ICMP, IP, UDP, Raw, conf, get_if_addr, sniff  # noqa: E402

conf.verb = 0
iface, count = sys.argv[1], int(sys.argv[2])
me = get_if_addr(iface)
sock = conf.L3socket(iface=iface)  # one socket: scapy's send() opens one per packet, too slow


def quote(ip, udp, sport=None, payload=None, dst=None):
    q = IP(bytes(ip))
    if sport is not None:
        q[UDP].sport = sport
    if payload is not None:
        q[UDP].remove_payload()
        q[UDP].add_payload(Raw(payload))
    if dst is not None:
        q.dst = dst
    return bytes(q)


def forge(pkt):
    if not pkt.haslayer(UDP) or not pkt.haslayer(IP) or pkt[IP].dst == me:
        return
    ip, udp = pkt[IP], pkt[UDP]
    payload = bytes(udp.payload)
    if len(payload) < 12:
        return
    bad = payload[:6] + bytes([payload[6] ^ 0x5A]) + payload[7:]
    base = IP(src=me, dst=ip.src, ttl=64) / ICMP(type=11, code=0)
    forged = [base / Raw(bytes(ip)) for _ in range(3)] + [
        base / Raw(quote(ip, udp, payload=bad)),
        base / Raw(quote(ip, udp, dst="198.18.250.1")),
        base / Raw(quote(ip, udp, sport=(udp.sport + 1) & 0xFFFF)),
    ]
    for p in forged:
        sock.send(p)
    print("forged", ip.ttl, flush=True)


# "ready" only once the capture socket is open and filtering: printed earlier, a busy machine
# let the first probes pass before scapy listened (the test then saw no forgery at all).
sniff(iface=iface, filter="udp", prn=forge, count=count, timeout=20, store=False,
      started_callback=lambda: print("ready", flush=True))
