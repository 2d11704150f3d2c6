"""`--validate` refuses what the start would, with the same line: `reach watch` and `reach usage`
said OK for a database in a directory that does not exist, and the start then exited 2 (the
most common first-deploy mistake). A `reach usage` interface this host does not have is a
warning at --validate and at the start, not an error: ppp0, wwan0 and VPN links exist only while
connected (vnStat refuses them), and the daemon counts one from when it appears."""

from watch_lab import read_lines


def test_watch_validate_and_start_refuse_a_db_directory_that_is_not_there(lab, reach, tmp_path):
    host = lab.host("nwwatch")
    cfg = tmp_path / "w.yml"
    cfg.write_text("defaults: { interval: 1s }\ntargets:\n  - { name: self, host: 127.0.0.1 }\n")
    missing = tmp_path / "nodir" / "sub"
    line = f"reach watch: db {missing}/w.db: No such file or directory (the directory {missing})"
    for extra in (["--validate"], []):
        r = host.run([str(reach), "watch", "--config", str(cfg), "--db", f"{missing}/w.db", *extra], check=False,
                     timeout=20)
        assert r.returncode == 2 and r.stderr.splitlines() == [line], (extra, r)
    # The same key in the file; a file where the directory should be.
    (tmp_path / "plain").write_text("")
    cfg.write_text(cfg.read_text() + f"db: {tmp_path}/plain/w.db\n")
    r = host.run([str(reach), "watch", "--config", str(cfg), "--validate"], check=False, timeout=20)
    assert r.returncode == 2, r
    assert r.stderr.splitlines() == [f"reach watch: db {tmp_path}/plain/w.db: Not a directory"], r.stderr
    cfg.write_text(cfg.read_text().replace("/plain/w.db", "/w.db"))
    r = host.run([str(reach), "watch", "--config", str(cfg), "--validate"], check=False, timeout=20)
    assert r.returncode == 0 and r.stderr == "", r
    assert not (tmp_path / "w.db").exists()


def test_usage_validate_and_start_refuse_a_missing_db_directory_and_warn_of_an_unknown_interface(lab, reach,
                                                                                                 tmp_path):
    host = lab.host("nwusage")
    cfg = tmp_path / "u.yml"
    cfg.write_text(f"db: {tmp_path}/nodir/u.db\nusage:\n  plans:\n    - name: a\n      interfaces: [lo, nosuchif0]\n"
                   "      cap: 1GB\n")
    line = f"reach usage: db {tmp_path}/nodir/u.db: No such file or directory (the directory {tmp_path}/nodir)"
    warning = (f"reach usage: {cfg}:5: warning: usage.plans[0].interfaces: no interface named nosuchif0 here now; "
               "it is counted from when it appears (check the name if it should be here)")
    for mode in ("--validate", "--daemon"):
        r = host.run([str(reach), "usage", "--config", str(cfg), mode], check=False, timeout=20)
        assert r.returncode == 2 and r.stderr.splitlines() == [line], (mode, r)
    # A report only reads: no database is its own message, not this one.
    r = host.run([str(reach), "usage", "--config", str(cfg)], check=False, timeout=20)
    assert r.returncode == 2 and "nothing counted yet" in r.stderr and "(the directory" not in r.stderr, r
    cfg.write_text(cfg.read_text().replace("/nodir/u.db", "/u.db"))
    r = host.run([str(reach), "usage", "--config", str(cfg), "--validate"], check=False, timeout=20)
    assert r.returncode == 0 and r.stdout == f"reach usage: {cfg}: ok\n", r
    assert r.stderr.splitlines() == [warning], r.stderr
    # The start says it too, and counts on (lo, and nosuchif0 once it appears).
    proc = host.popen([str(reach), "usage", "--config", str(cfg), "--daemon"])
    try:
        assert read_lines(proc.stderr, 1, 10) == [warning]
        started = read_lines(proc.stdout, 1, 10)
        assert started and started[0].startswith("usage: counting 1 plans"), started
        assert proc.poll() is None
    finally:
        rc = lab.stop(proc)
    assert rc == 0, rc
