"""`reach watch` HTTP targets read a body only up to `body_size_limit` (1 MiB by default): a 200
whose body never ends (a stream, SSE, video) was reported down as a timeout after pulling
hundreds of MB per round (36 GB in 90 s at a 1 s interval). Reaching the limit stops the
transfer; the status and a `body:` match are judged on what was read. A server in the lab streams
for ever and records how many bytes each connection took before the client went away."""

import json
from pathlib import Path

import lab as lablib
from watch_lab import watch

SERVER = r'''
import json, socket, sys, threading, time
out, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(64); s.settimeout(1)
lock = threading.Lock()
def serve(c):
    sent, path = 0, "?"
    try:
        head = c.recv(65536).decode(errors="replace")
        path = head.split(" ")[1] if " " in head else "?"
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        first = b"MARK " if path.startswith("/stream") else b"x" * (100 * 1024) + b"LATE "
        c.sendall(first)
        sent = len(first)
        end = time.monotonic() + 20  # bounded: an unlimited client stops at its timeout anyway
        while time.monotonic() < end:
            c.sendall(b"x" * 65536)
            sent += 65536
    except OSError:
        pass
    c.close()
    with lock, open(out, "a") as f:
        f.write(json.dumps({"path": path, "sent": sent}) + "\n")
print("ready", flush=True)
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
    except socket.timeout:
        pass
'''


def test_an_endless_200_is_up_and_read_only_to_the_limit(lab, reach, tmp_path):
    client, server = lab.host("nwclient"), lab.host("nwserver")
    link = lab.link(client, server)
    script, sent = tmp_path / "endless.py", tmp_path / "sent.jsonl"
    script.write_text(SERVER)
    proc = server.popen([lablib.python_bin(), "-B", str(script), str(sent), "8080"], text=False, bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=10)
    base = f"http://{link.b4}:8080"
    cfg = tmp_path / "w.yml"
    targets = [
        {"name": "stream", "url": f"{base}/stream"},
        {"name": "marked", "url": f"{base}/stream", "body": "MARK"},
        {"name": "late-small", "url": f"{base}/late", "body": "LATE", "body_size_limit": "64KiB"},
        {"name": "late-big", "url": f"{base}/late", "body": "LATE", "body_size_limit": "256KiB"},
        {"name": "unlimited", "url": f"{base}/stream?unlimited", "body_size_limit": 0},
    ]
    cfg.write_text("defaults: { interval: 2s, timeout: 1500ms }\ntargets:\n"
                   + "".join(f"  - {json.dumps(t)}\n" for t in targets))
    r = watch(client, reach, "--config", str(cfg), "--once", "--events", "-")
    rounds = {e["target"]: e for e in lablib.parse_ndjson(r.stdout) if e["type"] == "round"}
    assert set(rounds) == {t["name"] for t in targets}, r.stdout + r.stderr
    for name in ("stream", "marked", "late-big"):
        e = rounds[name]
        assert e["success"] and e["http_status"] == 200, e
    assert rounds["stream"]["content_length"] == 1 << 20 and rounds["stream"]["body_length"] == 1 << 20
    assert rounds["late-big"]["content_length"] == 256 * 1024
    # The text a match needs must come within the limit.
    small = rounds["late-small"]
    assert not small["success"] and small["reason"] == "HTTP 200, body does not contain 'LATE'", small
    assert small["content_length"] == 64 * 1024
    # 0 lifts the limit: the endless body runs into the timeout, as every target did before.
    assert not rounds["unlimited"]["success"] and "timed out" in rounds["unlimited"]["reason"], rounds["unlimited"]
    lab.stop(proc)
    took = {}
    for rec in (json.loads(l) for l in sent.read_text().splitlines()):
        took.setdefault(rec["path"], []).append(rec["sent"])
    # The limited transfers stopped: what the server got out is the limit plus the socket
    # buffers, not what it could stream in 1.5 s (the unlimited one's, tens to hundreds of MB).
    limited = took["/stream"] + took["/late"]
    assert len(limited) == 4 and max(limited) < 16 << 20, took
    assert took["/stream?unlimited"][0] > max(limited), took
