"""What every daemon does with SIGHUP and with a standard output whose reader went away
(io/daemon_signals.hpp). A daemon started from the command line alone survives SIGHUP and says
in one line that it has nothing to reload (`reach watch` died of it, exit 129; a flags-only
relay ignored it silently). A reader that exits (`reach relay --json | head -1`, a log shipper
that restarts) is said once on stderr and the daemon keeps serving (both died of SIGPIPE, 141).
The one-shot commands still end as ping does: test_boundary.py."""

import json
import signal
import time
from pathlib import Path

import lab as lablib
from watch_lab import http_get, read_lines, wait_for

PEERS = Path(__file__).resolve().parent / "relay_peers.py"
NOTHING = "SIGHUP: started from the command line, nothing to reload"
GONE = "standard output: Broken pipe (its reader went away): its output is dropped from now on; still running"


def stop_and_rest(lab, proc):
    """SIGTERM, then the exit code and what stderr still held."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    rest = proc.stderr.read()
    return lab.stop(proc), rest


def test_relay_outlives_its_stdout_reader_and_says_a_flags_only_sighup(lab, reach, tmp_path):
    front, back = lab.host("nwfront"), lab.host("nwback")
    link = lab.link(front, back)
    out = tmp_path / "backend.jsonl"
    be = back.popen([lablib.python_bin(), "-B", str(PEERS), "backend", "--bind", link.b4, "--port", "80",
                     "--out", str(out), "--max-seconds", "120"], text=False, bufsize=0)
    lablib._wait_for_line(be, b"ready", timeout=10)
    relay = front.popen([str(reach), "relay", "127.0.0.1:8080", "--to", f"{link.b4}:80", "--json", "--no-blackhole"],
                        text=False, bufsize=0)

    def forwards(data):
        r = front.run([lablib.python_bin(), "-B", str(PEERS), "client", "--host", "127.0.0.1", "--port", "8080",
                       "--data", data], check=False, timeout=20)
        return r.returncode == 0 and bytes.fromhex(json.loads(r.stdout)["reply"]) == b"ok %d" % len(data)

    try:
        start = read_lines(relay.stdout, 1, 30)
        assert start and json.loads(start[0])["type"] == "relay_start", start
        relay.send_signal(signal.SIGHUP)
        # Up to its relay_reload line (relay_defence may come first), 30 s for it: an ASan relay on
        # a busy machine may take seconds to handle the signal, which is not what this is about.
        said, end = [], time.monotonic() + 30
        while not any(e["type"] == "relay_reload" for e in said) and time.monotonic() < end:
            line = read_lines(relay.stdout, 1, end - time.monotonic())
            if not line:
                break
            said.append(json.loads(line[0]))
        said += [json.loads(l) for l in read_lines(relay.stdout, 1, 1.0)]  # and not a second one
        said = [e for e in said if e["type"] == "relay_reload"]
        assert len(said) == 1 and said[0]["message"] == NOTHING and said[0]["ok"] is False, said
        assert forwards("before")
        relay.stdout.close()  # `| head -1` exits
        for _ in range(3):  # each writes an event into the closed pipe
            relay.send_signal(signal.SIGHUP)
            time.sleep(0.2)
        err = read_lines(relay.stderr, 1, 30)
        assert err == [f"reach relay: {GONE}"], err
        assert relay.poll() is None
        assert all(forwards(f"after{i}") for i in range(3))
        assert relay.poll() is None
        rc, rest = stop_and_rest(lab, relay)
    finally:
        lab.stop(relay)
    assert rc == 0
    assert not rest, "the write error is said once"
    got = [bytes.fromhex(json.loads(l)["hex"]) for l in out.read_text().splitlines()]
    assert got == [b"before", b"after0", b"after1", b"after2"], got


def test_watch_from_flags_survives_sighup_and_its_stdout_reader(lab, reach):
    client, server = lab.host("nwclient"), lab.host("nwserver")
    link = lab.link(client, server)
    proc = client.popen([str(reach), "watch", "--no-live", "-i", "200ms", "-W", "150ms", "--listen",
                         "127.0.0.1:9798", link.b4], text=False, bufsize=0)
    api = f"http://127.0.0.1:9798/api/v1/targets/{link.b4}"

    def rounds():
        code, body = http_get(client, api, 2)
        return json.loads(body)["rounds"] if code == 200 else -1

    try:
        # A line on stdout: the signals are the loop's by now (they are taken before any output).
        assert read_lines(proc.stdout, 1, 30), proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGHUP)
        said = read_lines(proc.stderr, 1, 30)
        assert said == [f"reach watch: {NOTHING}"], said
        assert proc.poll() is None
        proc.stdout.close()
        err = read_lines(proc.stderr, 1, 30)  # the next round's line meets the closed pipe
        assert err == [f"reach watch: {GONE}"], err
        before = rounds()
        assert before >= 1 and wait_for(lambda: rounds() >= before + 3, 30), (before, rounds())
        assert proc.poll() is None
        rc, rest = stop_and_rest(lab, proc)
    finally:
        lab.stop(proc)
    assert rc is not None and rc >= 0, rc  # ended by the SIGTERM it handles, not killed by a signal
    assert not rest, "the write error is said once"
