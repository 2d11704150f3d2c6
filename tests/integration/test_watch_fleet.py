"""Several `reach watch` agents watching the same target, and an alert only when enough of them
see it down (docs/WATCH-FLEET.md).

Topology: three agents a1, a2, a3, each on its own link to the hub; the hub answers the target
198.19.0.10 (a local address) and runs what the agents report to. Cutting the target off from an
agent is an nftables drop in that agent's namespace, so the agent still reaches the hub.

- Prometheus + Alertmanager: a real Prometheus (Debian `prometheus`) scrapes the three agents
  (and a1's blackbox-style /probe) with contrib/prometheus's scrape configs and rules, a real
  Alertmanager (`prometheus-alertmanager`) routes with contrib/alertmanager's routes to
  contrib's webhook receiver; only the evaluation and grouping times are shortened. Cut off from one agent: the per-agent alert arrives, the quorum alert
  does not; cut off from two: the quorum alert arrives on its own route.
- `peers:` (no Prometheus): each agent pulls the two others' /api/v1/targets and its alert rule
  has `quorum: 2`. Cut off from one agent: every agent counts 1 down and none notifies; cut off
  from two: every agent notifies, saying "down from 2 of 3 agents".

Needs root and the Debian packages (scripts/install-deps.sh); every wait is bounded."""

import json
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

import lab as lablib
from watch_lab import http_get, read_jsonl, unix, wait_for, wait_up

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
RECEIVER = REPO / "contrib/alertmanager/webhook_receiver.py"
TARGET = "198.19.0.10"


def need(path):
    if not Path(path).exists():
        pytest.skip(f"{path} is not installed (scripts/install-deps.sh)")


class Fleet:
    def __init__(self, lab):
        self.lab = lab
        self.hub = lab.host("hub")
        self.agents = [lab.host(f"a{i}") for i in (1, 2, 3)]
        self.links = [lab.link(a, self.hub) for a in self.agents]
        lab.local_addresses(self.hub, "198.19.0.0/24")
        self.addr = [lk.a4 for lk in self.links]  # each agent's address, seen from the hub

    def start_agents(self, reach, tmp_path, extra=lambda i: "", rule=""):
        procs = []
        for i, a in enumerate(self.agents):
            cfg = tmp_path / f"agent{i + 1}.yml"
            cfg.write_text(f"""listen: "{self.addr[i]}:9798"
defaults: {{ interval: 500ms, timeout: 400ms }}
targets:
  - {{ name: web1, probe: icmp, host: {TARGET} }}
alerts:
  - {{ name: down, failures: 3, successes: 2, flap: false{rule} }}
{extra(i)}""")
            # stderr to a file: a pipe nobody reads could fill and stall the agent.
            with open(tmp_path / f"agent{i + 1}.err", "w") as err:
                procs.append(a.popen([str(reach), "watch", "--config", str(cfg)], stdout=subprocess.DEVNULL,
                                     stderr=err))
        for i, a in enumerate(self.agents):
            assert wait_up(a, f"http://{self.addr[i]}:9798/-/healthy", 60), \
                (procs[i].poll(), (tmp_path / f"agent{i + 1}.err").read_text())
        return procs

    def cut(self, i, on=True):
        """Drop everything agent i sends to the target (its probes fail: sendto is refused)."""
        a = self.agents[i]
        if on:
            a.nft("table inet cut {\n chain out {\n type filter hook output priority 0;\n"
                  f" ip daddr {TARGET} drop\n }}\n}}\n")
        else:
            a.run(["nft", "delete", "table", "inet", "cut"])


def fast_rules(tmp_path):
    """contrib's rules as shipped, but every `for:` zero: the lab cannot wait minutes."""
    rules = yaml.safe_load((REPO / "contrib/prometheus/reach-watch.rules.yml").read_text())
    for g in rules["groups"]:
        g.pop("interval", None)
        for r in g["rules"]:
            if "for" in r:
                r["for"] = "0s"
    out = tmp_path / "rules.yml"
    out.write_text(yaml.safe_dump(rules))
    return out


def fast_routes(tmp_path, receiver_port):
    am = yaml.safe_load((REPO / "contrib/alertmanager/alertmanager.yml").read_text())

    def shorten(route):
        for k, v in (("group_wait", "1s"), ("group_interval", "1s"), ("repeat_interval", "1h")):
            if k in route:
                route[k] = v
        for r in route.get("routes", []):
            shorten(r)
    shorten(am["route"])
    am["route"].update(group_wait="1s", group_interval="1s")
    for r in am["receivers"]:
        for w in r.get("webhook_configs", []):
            w["url"] = w["url"].replace("127.0.0.1:9099", f"127.0.0.1:{receiver_port}")
    out = tmp_path / "alertmanager.yml"
    out.write_text(yaml.safe_dump(am))
    return out


def test_quorum_alert_through_prometheus_and_alertmanager(lab, reach, tmp_path):
    need(PROMETHEUS)
    need(ALERTMANAGER)
    f = Fleet(lab)
    agents = f.start_agents(reach, tmp_path)
    hub = f.hub
    alerts = tmp_path / "alerts.jsonl"
    rx = hub.popen([lablib.python_bin(), "-B", str(RECEIVER), "--listen", "127.0.0.1:9099", "--out", str(alerts)],
                   text=True)
    am_cfg = fast_routes(tmp_path, 9099)
    am = hub.popen([ALERTMANAGER, f"--config.file={am_cfg}", f"--storage.path={tmp_path / 'am'}",
                    "--web.listen-address=127.0.0.1:9093", "--cluster.listen-address="],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # contrib's prometheus.yml with the lab's addresses: the agents, and /probe through a1.
    pcfg = yaml.safe_load((REPO / "contrib/prometheus/prometheus.yml").read_text())
    pcfg["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    pcfg["rule_files"] = [str(fast_rules(tmp_path))]
    jobs = {j["job_name"]: j for j in pcfg["scrape_configs"]}
    jobs["reach_watch"]["static_configs"] = [{"targets": [f"{f.addr[i]}:9798"], "labels": {"agent": f"a{i + 1}"}}
                                             for i in range(3)]
    jobs["reach_probe"]["static_configs"] = [{"targets": [TARGET]}]
    jobs["reach_probe"]["relabel_configs"][-1]["replacement"] = f"{f.addr[0]}:9798"
    prom_cfg = tmp_path / "prometheus.yml"
    prom_cfg.write_text(yaml.safe_dump(pcfg))
    prom = hub.popen([PROMETHEUS, f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                      "--web.listen-address=127.0.0.1:9090", "--rules.alert.resend-delay=1s"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_up(hub, "http://127.0.0.1:9093/-/ready", 60), am.poll()
    assert wait_up(hub, "http://127.0.0.1:9090/-/ready", 60), prom.poll()

    def query(q):
        code, body = http_get(hub, "http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(q), 15)
        assert code == 200, body
        return json.loads(body)["data"]["result"]

    def agents_where(q):
        return sorted(r["metric"].get("agent", "") for r in query(q))

    def delivered(path, alertname, status="firing"):
        return [a for p in read_jsonl(alerts) if p["path"] == path for a in p["body"]["alerts"]
                if a["labels"]["alertname"] == alertname and a["status"] == status]

    # Every agent sees the target up, as Prometheus scraped it; /probe through contrib's relabelling.
    assert wait_for(lambda: agents_where('reach_watch_state{state="up"} == 1') == ["a1", "a2", "a3"], 60, 0.5), \
        query("reach_watch_state")
    probe = wait_for(lambda: query('probe_success{job="reach_probe"} == 1'), 60, 0.5)
    assert probe and probe[0]["metric"]["instance"] == TARGET, query("probe_success")

    # Cut off from a1 alone: a1's own alert goes through Alertmanager to the webhook (so rules ran
    # on the down state and the route works), the quorum alert never fires.
    f.cut(0)
    assert wait_for(lambda: delivered("/alert", "ReachTargetDown"), 90, 0.5), read_jsonl(alerts)
    assert [a["labels"]["agent"] for a in delivered("/alert", "ReachTargetDown")] == ["a1"]
    assert agents_where('reach_watch_state{state="down"} == 1') == ["a1"]
    assert query('ALERTS{alertname="ReachTargetDownQuorum"}') == []
    assert delivered("/page", "ReachTargetDownQuorum") == []

    # Cut off from a2 too: 2 of 3, the quorum alert pages on its own route.
    f.cut(1)
    page = wait_for(lambda: delivered("/page", "ReachTargetDownQuorum"), 90, 0.5)
    assert page, (query("ALERTS"), read_jsonl(alerts))
    assert page[0]["labels"]["target"] == "web1" and page[0]["labels"]["severity"] == "critical"
    assert page[0]["annotations"]["summary"] == "web1 is down from 2 agents"
    assert "2 of 3 agents" in page[0]["annotations"]["description"]

    # Both back: the quorum alert resolves.
    f.cut(0, False)
    f.cut(1, False)
    assert wait_for(lambda: delivered("/page", "ReachTargetDownQuorum", "resolved"), 90, 0.5), read_jsonl(alerts)
    for p in (prom, am, rx):
        lab.stop(p)
    assert [lab.stop(p) for p in agents] == [0, 0, 0]


def test_quorum_alert_with_peers_and_no_prometheus(lab, reach, tmp_path):
    f = Fleet(lab)
    hub = f.hub
    alerts = tmp_path / "alerts.jsonl"
    rx = hub.popen([lablib.python_bin(), "-B", str(RECEIVER), "--listen", "0.0.0.0:9099", "--out", str(alerts)],
                   text=True)

    def extra(i):
        peers = ", ".join(f'"http://{f.addr[j]}:9798"' for j in range(3) if j != i)
        return f"""db: {tmp_path / f'agent{i + 1}.db'}
peers: {{ urls: [{peers}], interval: 500ms, timeout: 400ms, stale: 3s }}
notifiers:
  hook: {{ webhook: "http://{f.links[i].b4}:9099/alert" }}
"""
    procs = f.start_agents(reach, tmp_path, extra, rule=", quorum: 2, notify: [hook]")

    def web1(i):
        code, body = http_get(f.agents[i], f"http://{f.addr[i]}:9798/api/v1/targets", 5)
        assert code == 200, body
        return next(t for t in json.loads(body)["targets"] if t["name"] == "web1")

    def all_agents(pred):
        return all(pred(web1(i)) for i in range(3))

    def firing(status="firing"):
        return sorted({p["body"]["externalURL"] for p in read_jsonl(alerts) for a in p["body"]["alerts"]
                       if a["labels"]["alertname"] == "down" and a["status"] == status})

    assert wait_for(lambda: all_agents(lambda t: t["state"] == "up" and t.get("agents") == 3), 60, 0.3), \
        [web1(i) for i in range(3)]

    # Cut off from a1: every agent counts 1 of 3 down. Each then runs four more rounds with that
    # count (the rule is judged at every round) and nobody notifies.
    f.cut(0)
    assert wait_for(lambda: all_agents(lambda t: t.get("agents_down") == 1 and t.get("agents") == 3), 60, 0.3), \
        [web1(i) for i in range(3)]
    base = [web1(i)["rounds"] for i in range(3)]
    assert wait_for(lambda: all(web1(i)["rounds"] >= base[i] + 4 for i in range(3)), 30, 0.3)
    assert all_agents(lambda t: t.get("agents_down") == 1), [web1(i) for i in range(3)]
    assert firing() == [], read_jsonl(alerts)
    assert all_agents(lambda t: t["alerts"]["down"] == "inactive")

    # Cut off from a2 too: 2 of 3, and every agent (a3 included, which still reaches the target)
    # sends the alert.
    cut_at = time.time()
    f.cut(1)
    urls = sorted(f"http://{f.addr[i]}:9798" for i in range(3))
    assert wait_for(lambda: firing() == urls, 60, 0.3), (read_jsonl(alerts), [web1(i) for i in range(3)])
    notes = [a["annotations"]["description"] for p in read_jsonl(alerts) for a in p["body"]["alerts"]]
    assert all(n.startswith("down from 2 of 3 agents") for n in notes), notes

    def starts(status):  # each agent's startsAt of the alert
        return {p["body"]["externalURL"]: a["startsAt"] for p in read_jsonl(alerts) for a in p["body"]["alerts"]
                if a["labels"]["alertname"] == "down" and a["status"] == status}
    # startsAt is when the quorum was reached, after the second cut; it was each agent's own state
    # change: a1's down from the first cut, a3's up from the start.
    began = starts("firing")
    assert all(unix(s) >= cut_at for s in began.values()), (cut_at, began)

    # Both back: every agent resolves.
    f.cut(0, False)
    f.cut(1, False)
    assert wait_for(lambda: firing("resolved") == urls, 60, 0.3), read_jsonl(alerts)
    assert starts("resolved") == began, read_jsonl(alerts)  # the same alert to Alertmanager
    lab.stop(rx)
    assert [lab.stop(p) for p in procs] == [0, 0, 0]
