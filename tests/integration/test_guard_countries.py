"""reach guard's country rules in the lab, from a MaxMind DB built in the test with Debian's
libmaxmind-db-writer-perl (tests/lab/make_geo_db.pl) and a log file source: a source in a
`countries.ban` country is banned at its first line, one in a `countries.allow` country never
(however many failures), one the database does not know needs the threshold; --dry-run's NDJSON
carries the country; real bans in the kernel set of a namespace, `check ADDR` and /metrics say
the country; a missing database changes nothing but a notice (and a --validate warning)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from guard_lab import banned, guard_config, ruleset, start_guard, stop, wait_for

MAKE_DB = Path(__file__).resolve().parents[1] / "lab" / "make_geo_db.pl"

pytestmark = pytest.mark.skipif(subprocess.run(["perl", "-MMaxMind::DB::Writer::Tree", "-e", "1"],
                                               capture_output=True).returncode != 0,
                                reason="needs libmaxmind-db-writer-perl (scripts/install-deps.sh)")

CN, CN6, DE, UNKNOWN, UNDER = "198.18.1.5", "2001:db8:1:5::7", "198.18.2.5", "198.18.9.5", "198.18.9.6"


@pytest.fixture(autouse=True)
def root_ruleset_untouched(lab):
    before = ruleset()
    yield
    assert ruleset() == before, "the root namespace's ruleset changed"


def make_db(path):
    subprocess.run(["perl", str(MAKE_DB), str(path), "GeoLite2-Country", "198.18.1.0/24=CN", "198.18.2.0/24=DE",
                    "2001:db8:1::/48=CN", "198.18.3.0/24=FR"], check=True, timeout=60)
    return path


def line(addr, n):
    return f"Nov 30 21:00:{n % 60:02d} lab sshd[{1000 + n}]: Failed password for root from {addr} port {40000 + n} ssh2\n"


def traffic():
    """One line from CN (IPv4 and IPv6), 20 from DE, 2 from UNDER, then 3 from UNKNOWN: with a
    threshold of 3 the last line decides the last ban, so when it is seen every line was read."""
    lines = [line(CN, 0), line(CN6, 1)] + [line(DE, 10 + i) for i in range(20)]
    lines += [line(UNDER, 40), line(UNDER, 41)] + [line(UNKNOWN, 50 + i) for i in range(3)]
    return "".join(lines)


def countries(db=None):
    return "  countries: { ban: [CN, RU], allow: [de] }\n" + (f"  geo_db: {db}\n" if db else "")


def ndjson_bans(out):
    return {b["prefix"]: b for b in (json.loads(l) for l in Path(out).read_text().splitlines() if l.startswith("{"))
            if b["type"] == "ban"}


def test_dry_run_bans_a_ban_country_at_its_first_line_and_never_an_allow_country(lab, reach, tmp_path):
    h = lab.host("guard")
    geo = tmp_path / "geoip"
    geo.mkdir()
    make_db(geo / "GeoLite2-Country.mmdb")  # found in the default directory ($REACH_GEOIP_DIR)
    log = tmp_path / "auth.log"
    log.touch()
    cfg = guard_config(tmp_path, log, failures=3, extra=countries())
    before = ruleset(h)
    out = tmp_path / "guard.out"
    g = start_guard(h, reach, cfg, out, "--dry-run", env={"REACH_GEOIP_DIR": str(geo)}, ready="dry run: watching")
    said = f"guard: country rules: ban CN, RU; allow DE (from {geo}/GeoLite2-Country.mmdb)"
    assert wait_for(lambda: said in out.read_text(), 20), out.read_text()
    with open(log, "a") as f:
        f.write(traffic())
    assert wait_for(lambda: f"{UNKNOWN}/32" in ndjson_bans(out), 10), out.read_text()
    assert stop(h, g) == 0
    bans = ndjson_bans(out)
    assert set(bans) == {f"{CN}/32", "2001:db8:1:5::/64", f"{UNKNOWN}/32"}, out.read_text()
    for p in (f"{CN}/32", "2001:db8:1:5::/64"):
        assert bans[p]["origin"] == "country" and bans[p]["country"] == "CN" and bans[p]["count"] == 1, bans[p]
        assert bans[p]["reason"] == "country CN is on countries.ban: banned at its first failure (sshd failed-password)"
    assert bans[f"{UNKNOWN}/32"]["origin"] == "threshold" and bans[f"{UNKNOWN}/32"]["count"] == 3
    assert "country" not in bans[f"{UNKNOWN}/32"]
    assert ruleset(h) == before


def test_real_bans_check_and_metrics_say_the_country(lab, reach, tmp_path):
    h = lab.host("guard")
    db = make_db(tmp_path / "country.mmdb")
    log = tmp_path / "auth.log"
    log.touch()
    cfg = guard_config(tmp_path, log, failures=3, extra=countries(db))
    val = h.run([str(reach), "guard", "--config", str(cfg), "--validate"], check=False)
    assert val.returncode == 0 and f"country rules: ban CN, RU; allow DE (from {db})" in val.stdout, val
    out = tmp_path / "guard.out"
    g = start_guard(h, reach, cfg, out, "--listen", "127.0.0.1:9799")
    with open(log, "a") as f:
        f.write(traffic())
    assert wait_for(lambda: f"{UNKNOWN}/32" in banned(h), 10), out.read_text()
    assert banned(h) == {f"{CN}/32", "2001:db8:1:5::/64", f"{UNKNOWN}/32"}
    text = out.read_text()
    assert f"guard: ban {CN}/32 for 1h (country): country CN is on countries.ban" in text, text
    page = h.run(["curl", "-s", "-m", "5", "http://127.0.0.1:9799/metrics"]).stdout
    assert 'reach_guard_country_bans_total{country="CN",origin="country"} 2' in page, page
    assert "reach_guard_country_allowed_total 20" in page, page
    assert "reach_guard_country_rules_active 1" in page, page
    if shutil.which("promtool"):
        chk = subprocess.run(["promtool", "check", "metrics"], input=page, capture_output=True, text=True, timeout=30)
        assert chk.returncode == 0, chk.stdout + chk.stderr

    def check(addr):
        r = h.run([str(reach), "guard", "--config", str(cfg), "--json", "check", addr], check=False)
        return r.returncode, json.loads(r.stdout)

    code, c = check(CN)
    assert code == 1 and c["verdict"] == "banned" and c["country"] == "CN" and c["country_rule"] == "ban", c
    code, c = check("198.18.1.77")  # CN, no failure yet: its first would ban it
    assert code == 0 and c["threshold"] == 1 and c["country_rule"] == "ban", c
    code, c = check(DE)
    assert code == 0 and c["verdict"] == "country_allowed" and c["country"] == "DE", c
    assert c["reason"] == "never counted or banned: its country DE is on countries.allow"
    code, c = check("198.18.3.3")  # FR: no rule, the threshold
    assert code == 0 and c["country"] == "FR" and "country_rule" not in c and c["threshold"] == 3, c
    txt = h.run([str(reach), "guard", "--config", str(cfg), "check", DE], check=False).stdout
    assert "country_allowed by country DE (countries.allow)" in txt and "country: DE (countries.allow" in txt, txt
    assert stop(h, g) == 0


def test_missing_database_is_a_notice_and_the_threshold_for_everyone(lab, reach, tmp_path):
    h = lab.host("guard")
    log = tmp_path / "auth.log"
    log.touch()
    missing = tmp_path / "nowhere.mmdb"
    cfg = guard_config(tmp_path, log, failures=3, extra=countries(missing))
    val = h.run([str(reach), "guard", "--config", str(cfg), "--validate"], check=False)
    assert val.returncode == 0 and ": OK:" in val.stdout, val
    assert f"{cfg}:7: warning: guard.countries: country rules inactive:" in val.stderr, val
    assert str(missing) in val.stderr, val
    out = tmp_path / "guard.out"
    g = start_guard(h, reach, cfg, out)
    assert wait_for(lambda: "every source gets the threshold" in out.read_text(), 20), out.read_text()
    assert "guard: country rules inactive:" in out.read_text() and str(missing) in out.read_text()
    with open(log, "a") as f:
        f.write(traffic())
    # DE's 20 failures ban it like anyone's; CN's single lines do not; UNKNOWN's three do.
    assert wait_for(lambda: f"{UNKNOWN}/32" in banned(h), 10), out.read_text()
    assert banned(h) == {f"{DE}/32", f"{UNKNOWN}/32"}, out.read_text()
    page_text = h.run([str(reach), "guard", "--config", str(cfg), "check", CN], check=False)
    assert "country rules inactive" in page_text.stderr and "3 failures" in page_text.stdout, page_text
    assert stop(h, g) == 0
    # No database in the default directories: the same, with that said.
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg2 = guard_config(tmp_path, log, failures=3, extra=countries())
    val = h.run([str(reach), "guard", "--config", str(cfg2), "--validate"], check=False,
                env={"REACH_GEOIP_DIR": str(empty), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert val.returncode == 0 and f"no MaxMind database (*.mmdb) in {empty}" in val.stderr, val


def test_a_malformed_country_code_is_an_error_with_its_line(lab, reach, tmp_path):
    h = lab.host("guard")
    log = tmp_path / "auth.log"
    log.touch()
    cfg = guard_config(tmp_path, log, extra="  countries:\n    ban: [CN, China]\n")
    r = h.run([str(reach), "guard", "--config", str(cfg), "--validate"], check=False)
    assert r.returncode == 2, r
    assert (f"{cfg}:8: guard.countries.ban[1]: must be an ISO 3166-1 alpha-2 country code (CN, DE), not 'China'"
            in r.stderr), r.stderr
    r = h.run([str(reach), "guard", "--config", str(cfg), "--dry-run"], check=False, timeout=20)
    assert r.returncode == 2 and "guard.countries.ban[1]" in r.stderr, r
