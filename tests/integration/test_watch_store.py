"""reach watch's history with its writer thread (docs/WATCH.md, "History"): rounds are committed
as they come, so a kill -9 at any moment loses at most the round in flight of each target, the
database stays intact, and the API reads the rounds of the running daemon. Needs root."""

import json
import signal
import sqlite3
import time

TIMEOUT = 60


def test_kill_9_loses_at_most_the_round_in_flight(lab, reach, tmp_path):
    p = lab.pair()
    p.server.listen(tcp=[8080])
    db = tmp_path / "watch.db"
    cfg = tmp_path / "watch.yml"
    cfg.write_text(f"db: {db}\nlisten: \"127.0.0.1:9798\"\ndefaults: {{ interval: 200ms, timeout: 200ms }}\n"
                   f"targets:\n"
                   f"  - {{ name: a, probe: icmp, host: {p.server4} }}\n"
                   f"  - {{ name: b, probe: icmp, host: {p.server6}, packets: 3 }}\n"
                   f"  - {{ name: c, probe: tcp, host: {p.server4}, port: 8080 }}\n"
                   f"  - {{ name: d, probe: tcp, host: {p.server4}, port: 8081 }}\n")
    events = tmp_path / "events.jsonl"
    proc = p.client.popen([str(reach), "watch", "--config", str(cfg), "--events", str(events)])
    # The API reads what the writer thread committed, without waiting for a flush: 8 rounds of
    # 200 ms of every target, polled (a slow start under ASan and load is not what this measures).
    def stored_points(name):
        r = p.client.run(["curl", "-s", "-m", "5", f"http://127.0.0.1:9798/api/v1/targets/{name}/history?points=1000"],
                         check=False, timeout=10)
        return len(json.loads(r.stdout)["points"]) if r.returncode == 0 and r.stdout else 0

    deadline = time.monotonic() + 30
    seen = {}
    while time.monotonic() < deadline and (len(seen) < 4 or min(seen.values()) < 8):
        time.sleep(0.25)
        seen = {name: stored_points(name) for name in "abcd"}
    assert len(seen) == 4 and min(seen.values()) >= 8, seen
    time.sleep(0.37)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    rounds = {}
    for line in events.read_text().splitlines():
        try:
            e = json.loads(line)
        except json.JSONDecodeError:  # the last line may be cut by the kill
            continue
        if e.get("type") == "round":
            rounds[e["target"]] = rounds.get(e["target"], 0) + 1
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(con.execute("SELECT name, count(*) FROM raw JOIN targets ON raw.target = targets.id "
                                  "GROUP BY name").fetchall())
    finally:
        con.close()
    assert set(rounds) == {"a", "b", "c", "d"}, rounds
    for name, n in rounds.items():
        assert n >= seen[name] - 1, (rounds, seen)  # what the API had read, less the event not yet written
        # An event is written right after its round is queued: the kill may fall between the
        # two (one more in the database) or before the commit (one fewer), never more.
        assert abs(stored.get(name, 0) - n) <= 1, (name, n, stored)
