"""io::NftSets against the real kernel, in a lab namespace (tests/tools/nft_sets_tool drives it):
one transaction per batch, drops by masked prefix, timeouts that expire and refresh, the
allow-list, and an uninstall that leaves the rest of the ruleset byte-identical."""

import json
import ipaddress
import time

import pytest

import lab as lablib

TOOL = lablib.build_dir() / "tests" / "tools" / "nft_sets_tool"


@pytest.fixture
def tool():
    if not TOOL.exists():
        pytest.skip(f"nft_sets_tool not built at {TOOL} (cmake --build <build> --target nft_sets_tool)")
    return TOOL


def sets(host, tool, *args, check=True):
    r = host.run([tool, *args], check=False, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"nft_sets_tool {args}: rc={r.returncode} {r.stdout} {r.stderr}")
    return json.loads(r.stdout) if r.stdout.strip() else {}


def elements(host, tool):
    return {e["prefix"]: e for e in sets(host, tool, "list")["elements"]}


def reachable(src, dst_addr, v6):
    r = src.run(["ping", "-6" if v6 else "-4", "-c", "1", "-W", "1", dst_addr], check=False, timeout=10)
    return r.returncode == 0


def test_batch_of_10k_in_one_transaction(lab, tool):
    h = lab.host("fw")
    sets(h, tool, "ensure")
    out = sets(h, tool, "add-gen", "600000", "10000")
    assert out["added"] == 10000
    assert len(elements(h, tool)) == 10000
    # All or nothing: a batch that overflows a set leaves none of its elements behind.
    sets(h, tool, "uninstall")
    sets(h, tool, "--set-size", "100", "ensure")
    bad = sets(h, tool, "--set-size", "100", "add-gen", "600000", "150", check=False)
    assert "error" in bad and "nftables add elements" in bad["error"]
    assert elements(h, tool) == {}
    sets(h, tool, "uninstall")


def test_masked_prefixes_drop_whole_prefix(lab, tool):
    t = lab.pair()
    client, server = t.client, t.server
    assert reachable(client, t.server6, True) and reachable(client, t.server4, False)
    sets(server, tool, "ensure")
    # The client's /64 (not its address) and its /24.
    net6 = ipaddress.ip_network(f"{t.client6}/64", strict=False)
    net4 = ipaddress.ip_network(f"{t.client4}/24", strict=False)
    sets(server, tool, "add", "600000", str(net6), str(net4))
    assert not reachable(client, t.server6, True)
    assert not reachable(client, t.server4, False)
    sets(server, tool, "remove", str(net6), str(net4))
    assert reachable(client, t.server6, True) and reachable(client, t.server4, False)
    # /48 and /32 too.
    net48 = ipaddress.ip_network(f"{t.client6}/48", strict=False)
    sets(server, tool, "add", "600000", str(net48), f"{t.client4}/32")
    assert not reachable(client, t.server6, True)
    assert not reachable(client, t.server4, False)
    sets(server, tool, "uninstall")
    assert reachable(client, t.server6, True) and reachable(client, t.server4, False)


def test_timeouts_expire_and_readd_refreshes(lab, tool):
    h = lab.host("fw")
    sets(h, tool, "ensure")
    sets(h, tool, "add", "2000", "2001:db8:1:2::/64", "198.18.7.0/24")
    sets(h, tool, "add", "2000", "2001:db8:1:3::/64")
    sets(h, tool, "add", "60000", "2001:db8:1:3::/64")  # refreshed, not kept at 2 s
    els = elements(h, tool)
    assert set(els) == {"2001:db8:1:2::/64", "198.18.7.0/24", "2001:db8:1:3::/64"}
    assert els["2001:db8:1:3::/64"]["timeout_s"] == 60
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(elements(h, tool)) > 1:
        time.sleep(0.5)
    assert set(elements(h, tool)) == {"2001:db8:1:3::/64"}
    sets(h, tool, "uninstall")


def test_allow_list_is_never_inserted(lab, tool):
    h = lab.host("fw")
    sets(h, tool, "ensure")
    out = sets(h, tool, "--allow", "2001:db8:5:5::1", "--allow", "198.18.3.0/24", "add", "600000",
               "2001:db8:5:5::/64", "2001:db8:5::/48", "198.18.3.4/32", "198.18.3.0/24",
               "127.0.0.1/32", "::1/128", "fe80::/64", "2001:db8:6::/48", "198.18.4.4/32")
    assert out["added"] == 2 and out["allowed"] == 7
    assert set(elements(h, tool)) == {"2001:db8:6::/48", "198.18.4.4/32"}
    sets(h, tool, "uninstall")


def test_ensure_keeps_elements_and_uninstall_touches_nothing_else(lab, tool):
    h = lab.host("fw")
    h.nft("table inet other {\n set keep { type ipv6_addr; flags timeout; }\n"
          " chain input { type filter hook input priority 0; policy accept; ip6 saddr @keep drop; }\n}\n"
          "table ip legacy { chain pass_on { type filter hook forward priority 10; counter accept; }; }\n")
    before = h.run(["nft", "list", "ruleset"]).stdout
    sets(h, tool, "ensure")
    sets(h, tool, "add", "600000", "2001:db8:9:9::/64")
    sets(h, tool, "ensure")  # a restart: bans kept, rules not duplicated
    assert set(elements(h, tool)) == {"2001:db8:9:9::/64"}
    chain = h.run(["nft", "list", "chain", "inet", "reach", "prerouting"]).stdout
    assert chain.count("drop") == 5
    assert sets(h, tool, "installed")["installed"] is True
    sets(h, tool, "uninstall")
    sets(h, tool, "uninstall")  # absent: still fine
    assert sets(h, tool, "installed")["installed"] is False
    assert h.run(["nft", "list", "ruleset"]).stdout == before
