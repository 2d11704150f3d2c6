// reach_watch_* series for /metrics (docs/WATCH-EXPORTS.md describes each).
#include "format/watch_metrics.hpp"

#include <array>
#include <deque>

#include "format/rtt_summary.hpp"
#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

using prom::Family;
using prom::Labels;
using prom::Type;

double secs(TimeNs ns) { return static_cast<double>(ns) / 1e9; }

Labels target_labels(const model::TargetMetrics& t) {
  Labels l{{"target", t.name}, {"probe", watch_probe_word(t.probe)}};
  l.insert(l.end(), t.labels.begin(), t.labels.end());
  return l;
}

Labels with(Labels l, std::string k, std::string v) {
  l.emplace_back(std::move(k), std::move(v));
  return l;
}

// The families in output order; a deque, so the references add() hands out stay valid.
struct Builder {
  std::deque<Family> out;
  Family& add(std::string name, Type type, std::string help) {
    out.push_back(Family{std::move(name), type, std::move(help), {}});
    return out.back();
  }
};

// snmp targets: each OID's last value and, for `rate: true`, its rate; added only when some
// target has SNMP values, so other configurations' output is unchanged.
void add_snmp_families(Builder& b, const std::vector<model::TargetMetrics>& targets) {
  bool any = false;
  for (const auto& t : targets) any |= t.last && !t.last->snmp.empty();
  if (!any) return;
  auto& value = b.add("reach_watch_snmp_value", Type::gauge, "Last value the SNMP agent gave for the OID");
  auto& rate = b.add("reach_watch_snmp_rate", Type::gauge,
                     "Per-second rate of the OID (a counter, wrap handled) between the last two rounds");
  for (const auto& t : targets) {
    if (!t.last) continue;
    for (const model::SnmpValue& v : t.last->snmp) {
      Labels l = with(with(target_labels(t), "oid", v.oid), "name", v.name);
      if (v.has_value) value.samples.push_back({l, v.value});
      if (v.has_rate) rate.samples.push_back({l, v.rate});
    }
  }
}

// Per zone of each dnsbl target's last round: listed 1/0 (left out for a zone that did not
// tell), and whether the zone did not tell. Only when there is a dnsbl target.
void dnsbl_families(Builder& b, const std::vector<model::TargetMetrics>& targets) {
  Family* listed = nullptr;
  Family* error = nullptr;
  for (const auto& t : targets) {
    if (t.probe != model::WatchProbe::dnsbl) continue;
    if (!listed) {
      listed = &b.add("reach_watch_dnsbl_listed", Type::gauge,
                      "1 when the dnsbl target's address was listed on the zone in its last round, 0 when not");
      error = &b.add("reach_watch_dnsbl_zone_error", Type::gauge,
                     "1 when the zone did not tell in the dnsbl target's last round (no answer, a refusal)");
    }
    if (!t.last) continue;
    const Labels l = target_labels(t);
    for (const auto& z : t.last->dnsbl) {
      const bool told = z.status != model::DnsblStatus::error;
      if (told) listed->samples.push_back({with(l, "zone", z.zone), z.status == model::DnsblStatus::listed ? 1.0 : 0.0});
      error->samples.push_back({with(l, "zone", z.zone), told ? 0.0 : 1.0});
    }
  }
}

}  // namespace

bool watch_label_allowed(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kReserved{"target", "probe", "alert", "state",
                                                             "notifier", "job", "instance"};
  if (!prom::valid_label_name(name)) return false;
  for (auto r : kReserved)
    if (name == r) return false;
  return true;
}

std::vector<Family> watch_metric_families(const std::vector<model::TargetMetrics>& targets,
                                          const model::WatchProcessMetrics& process) {
  Builder b;
  auto& up = b.add("reach_watch_up", Type::gauge, "1 when the target's last round succeeded, 0 when it failed");
  auto& state = b.add("reach_watch_state", Type::gauge,
                      "The target's alert state after damping: 1 for the current state, 0 for the others");
  auto& rtt_min = b.add("reach_watch_rtt_min_seconds", Type::gauge, "Smallest RTT of the target's last round");
  auto& rtt_med = b.add("reach_watch_rtt_median_seconds", Type::gauge, "Median RTT of the target's last round");
  auto& rtt_max = b.add("reach_watch_rtt_max_seconds", Type::gauge, "Largest RTT of the target's last round");
  auto& loss = b.add("reach_watch_loss_ratio", Type::gauge,
                     "Share of the last round's packets without an answer, 0 to 1");
  auto& dur = b.add("reach_watch_probe_duration_seconds", Type::gauge,
                    "How long the target's last round took, name resolution included");
  auto& rounds = b.add("reach_watch_rounds", Type::counter, "Rounds the target has completed");
  auto& failed = b.add("reach_watch_rounds_failed", Type::counter, "Rounds of the target that failed");
  auto& psent = b.add("reach_watch_packets_sent", Type::counter, "Probe packets sent to the target");
  auto& precv = b.add("reach_watch_packets_received", Type::counter, "Answers received from the target");
  auto& last_ok = b.add("reach_watch_last_success_timestamp_seconds", Type::gauge,
                        "Unix time of the target's last successful round");
  auto& alert = b.add("reach_watch_alert_firing", Type::gauge, "1 while the alert rule fires for the target");
  auto& tls = b.add("reach_watch_tls_cert_expiry_timestamp_seconds", Type::gauge,
                    "Unix time the earliest certificate of the target's TLS chain expires");
  for (const auto& t : targets) {
    Labels l = target_labels(t);
    for (auto s : {model::TargetState::unknown, model::TargetState::up, model::TargetState::down})
      state.samples.push_back({with(l, "state", watch_state_word(s)), t.state == s ? 1.0 : 0.0});
    rounds.samples.push_back({l, static_cast<double>(t.rounds)});
    failed.samples.push_back({l, static_cast<double>(t.rounds_failed)});
    psent.samples.push_back({l, static_cast<double>(t.packets_sent)});
    precv.samples.push_back({l, static_cast<double>(t.packets_received)});
    if (t.last_success_wall > 0) last_ok.samples.push_back({l, unix_seconds(t.last_success_wall)});
    for (const auto& [name, firing] : t.alerts) alert.samples.push_back({with(l, "alert", name), firing ? 1.0 : 0.0});
    if (!t.last) continue;
    const model::RoundResult& r = *t.last;
    up.samples.push_back({l, r.success ? 1.0 : 0.0});
    dur.samples.push_back({l, secs(r.duration)});
    if (r.sent > 0)
      loss.samples.push_back({l, static_cast<double>(r.sent - r.received) / static_cast<double>(r.sent)});
    if (!r.rtts.empty()) {
      RttSummary s = summarize_rtts(r.rtts);
      rtt_min.samples.push_back({l, s.min});
      rtt_med.samples.push_back({l, s.median});
      rtt_max.samples.push_back({l, s.max});
    }
    if (r.tls && r.tls_not_after > 0) tls.samples.push_back({l, static_cast<double>(r.tls_not_after)});
  }
  add_snmp_families(b, targets);
  dnsbl_families(b, targets);
  b.add("reach_watch_targets", Type::gauge, "Targets in the running configuration")
      .samples.push_back({{}, static_cast<double>(process.targets)});
  auto& nsent = b.add("reach_watch_notifications_sent", Type::counter, "Notifications delivered, by notifier");
  auto& nfail = b.add("reach_watch_notifications_failed", Type::counter,
                      "Delivery attempts that failed and will be retried, by notifier");
  auto& nqueue = b.add("reach_watch_notifications_queued", Type::gauge,
                       "Notifications waiting in the persisted outbox, by notifier");
  for (const auto& n : process.notifiers) {
    Labels l{{"notifier", n.name}};
    nsent.samples.push_back({l, static_cast<double>(n.sent)});
    nfail.samples.push_back({l, static_cast<double>(n.failed)});
    nqueue.samples.push_back({l, static_cast<double>(n.queued)});
  }
  b.add("reach_watch_history_write_errors", Type::counter, "Rounds that could not be written to the history database")
      .samples.push_back({{}, static_cast<double>(process.history_write_errors)});
  b.add("reach_watch_config_last_reload_successful", Type::gauge, "1 when the last configuration (re)load succeeded")
      .samples.push_back({{}, process.last_reload_ok ? 1.0 : 0.0});
  if (process.last_reload_wall > 0)
    b.add("reach_watch_config_last_reload_success_timestamp_seconds", Type::gauge,
          "Unix time of the last successful configuration (re)load")
        .samples.push_back({{}, unix_seconds(process.last_reload_wall)});
  return {std::make_move_iterator(b.out.begin()), std::make_move_iterator(b.out.end())};
}

Result<std::string> write_watch_metrics(const std::vector<model::TargetMetrics>& targets,
                                        const model::WatchProcessMetrics& process, prom::Format format) {
  return prom::render(watch_metric_families(targets, process), format);
}

}  // namespace reach::format
