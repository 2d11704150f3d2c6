#!/usr/bin/python3
"""Wire timestamps of ping probes on one interface: the reference for bench --wire.

Run inside a lab namespace (never the root namespace); it reads, never sends. An AF_PACKET
socket on --if records the kernel's time of every outgoing ICMP echo request / TCP SYN (taken
as the frame is handed to the device) and every incoming echo reply / SYN-ACK / RST-ACK (taken
as the device receives it). Frames arrive through a TPACKET_V3 ring, so the tap never wakes up
per packet and adds no wake-up to the path it measures. Prints "ready" once bound; on
SIGTERM/SIGINT (after draining the ring) or after --max-seconds writes JSON
{"out": [ns...], "in": [ns...], "out_keys": [...], "in_keys": [...]} to --out.
Standard library only.
"""
import argparse
import json
import mmap
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_VERSION = 10
TPACKET_V3 = 2
TP_STATUS_USER = 1
PACKET_OUTGOING = 4
BLOCK_SIZE = 1 << 16
BLOCK_NR = 64
FRAME_SIZE = 2048
RETIRE_MS = 100


def classify(frame: bytes, outgoing: bool, with_addr: bool = False):
    """The probe / reply key of an Ethernet frame, or None. with_addr: ICMP keys end with the
    far end's address (the probe's destination, the reply's source), for many targets at once."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    proto, l4 = ip[9], ip[ihl:]
    if proto == 1 and len(l4) >= 8:
        typ, ident, seq = l4[0], *struct.unpack("!HH", l4[4:8])
        if (outgoing and typ == 8) or (not outgoing and typ == 0):
            far = socket.inet_ntoa(ip[16:20] if outgoing else ip[12:16])
            return ["icmp", ident, seq, far] if with_addr else ["icmp", ident, seq]
    elif proto == 6 and len(l4) >= 14:
        sport, dport, seq, ack = struct.unpack("!HHII", l4[:12])
        flags = l4[13]
        if outgoing and flags & 0x12 == 0x02:                   # SYN
            return ["tcp", sport, dport, (seq + 1) & 0xFFFFFFFF]
        if not outgoing and flags & 0x10 and flags & 0x06:      # SYN-ACK or RST-ACK
            return ["tcp", dport, sport, ack]
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--if", dest="iface", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--with-addr", action="store_true", help="ICMP keys end with the far address")
    a = ap.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    # A TPACKET_V3 ring: the kernel copies each frame (with its timestamp) into shared memory
    # and wakes us only when a block is full or retired by its timer, never per packet, so
    # the tap puts no wake-up into the path of the packets it timestamps.
    s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
    req = struct.pack("IIIIIII", BLOCK_SIZE, BLOCK_NR, FRAME_SIZE,
                      BLOCK_SIZE * BLOCK_NR // FRAME_SIZE, RETIRE_MS, 0, 0)
    s.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
    ring = mmap.mmap(s.fileno(), BLOCK_SIZE * BLOCK_NR, mmap.MAP_SHARED,
                     mmap.PROT_READ | mmap.PROT_WRITE)
    s.bind((a.iface, 0))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(time.monotonic()))
    signal.signal(signal.SIGINT, lambda *_: stop.append(time.monotonic()))
    res = {"out": [], "in": [], "out_keys": [], "in_keys": []}
    block = 0
    print("ready", flush=True)
    deadline = time.monotonic() + min(a.max_seconds, 600.0)
    while time.monotonic() < deadline:
        # After SIGTERM keep draining for 2 retire periods: the last block closes on its timer.
        if stop and time.monotonic() > stop[0] + 2.5 * RETIRE_MS / 1000:
            break
        try:
            select.select([s], [], [], 0.05)
        except InterruptedError:
            pass
        while True:
            base = block * BLOCK_SIZE
            status, num, first = struct.unpack_from("III", ring, base + 8)
            if not status & TP_STATUS_USER:
                break
            off = base + first
            for _ in range(num):
                nxt, sec, nsec, snaplen, _len, _st, mac = struct.unpack_from("IIIIIIH", ring, off)
                pkttype = ring[off + 48 + 10]
                outgoing = pkttype == PACKET_OUTGOING
                key = classify(bytes(ring[off + mac: off + mac + min(snaplen, 128)]), outgoing, a.with_addr)
                if key is not None:
                    side = "out" if outgoing else "in"
                    res[side].append(sec * 1_000_000_000 + nsec)
                    res[side + "_keys"].append(key)
                if not nxt:
                    break
                off += nxt
            struct.pack_into("I", ring, base + 8, 0)  # TP_STATUS_KERNEL: give it back
            block = (block + 1) % BLOCK_NR
    for side in ("out", "in"):  # blocks are in order; keep frames in time order regardless
        pairs = sorted(zip(res[side], res[side + "_keys"]), key=lambda p: p[0])
        res[side] = [p[0] for p in pairs]
        res[side + "_keys"] = [p[1] for p in pairs]
    with open(a.out, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
