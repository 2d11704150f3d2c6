"""Answers every ICMP echo request it sees on an interface with forged, malformed replies only.

Run inside a lab namespace: spoofer.py IFACE COUNT. For each request (up to COUNT, at most 20 s)
it sends: a reply with the right identifier and sequence but a wrong payload cookie (a blind
spoofer's guess), a reply with a bad checksum, a reply cut to 6 bytes of ICMP, a reply with the
wrong identifier, and a host-unreachable error quoting a request with a sequence never sent.
Prints "ready" when sniffing, and one line per forged packet sent.
"""
import sys

from scapy.all import ICMP, IP, Raw, conf, send, sniff  # noqa: E402

conf.verb = 0
iface, count = sys.argv[1], int(sys.argv[2])


def forge(pkt):
    if not pkt.haslayer(ICMP) or pkt[ICMP].type != 8:
        return
    req_ip, req = pkt[IP], pkt[ICMP]
    payload = bytes(req.payload)
    bad_cookie = bytes([payload[0] ^ 0xFF]) + payload[1:]
    base = IP(src=req_ip.dst, dst=req_ip.src, ttl=64)
    forged = [
        base / ICMP(type=0, id=req.id, seq=req.seq) / Raw(bad_cookie),
        base / ICMP(type=0, id=req.id, seq=req.seq, chksum=0x1234) / Raw(payload),
        IP(bytes(base / ICMP(type=0, id=req.id, seq=req.seq)))  # rebuilt below, truncated
        , base / ICMP(type=0, id=(req.id + 1) & 0xFFFF, seq=req.seq) / Raw(payload),
        base / ICMP(type=3, code=1) / IP(src=req_ip.src, dst=req_ip.dst) /
        ICMP(type=8, id=req.id, seq=(req.seq + 1000) & 0xFFFF) / Raw(payload[:8]),
    ]
    # the truncated reply: an IP packet whose ICMP part is only 6 bytes long
    raw = bytes(IP(src=req_ip.dst, dst=req_ip.src, ttl=64, proto=1) / Raw(b"\x00\x00\xff\xff\x00\x01"))
    forged[2] = IP(raw)
    for p in forged:
        send(p, iface=iface)
        print("forged", p.summary(), flush=True)


print("ready", flush=True)
sniff(iface=iface, count=count, timeout=20, store=False,
      lfilter=lambda p: p.haslayer(ICMP) and p[ICMP].type == 8, prn=forge, started_callback=None)
