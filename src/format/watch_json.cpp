// NDJSON objects of `reach watch --events` (docs/JSON.md).
#include "format/watch_json.hpp"

#include <nlohmann/json.hpp>

#include "format/rtt_summary.hpp"
#include "format/wall_time.hpp"
#include "format/watch_dnsbl.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

double ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }

nlohmann::json base(const char* type, TimeNs wall) {
  return nlohmann::json{{"type", type}, {"version", kSchemaVersion}, {"time", unix_seconds(wall)},
                        {"timestamp", rfc3339_micro(wall)}};
}

std::string line(const nlohmann::json& j) {
  // Invalid UTF-8 in a name or reason (it comes from configs and peers) is replaced, not fatal.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}

}  // namespace

std::string watch_event_json(const model::WatchEvent& e, const std::string& netns) {
  nlohmann::json j = base(watch_event_word(e.kind), e.wall);
  if (!netns.empty()) j["netns"] = netns;
  if (!e.target.empty()) j["target"] = e.target;
  if (!e.alert.empty()) j["alert"] = e.alert;
  if (e.kind != model::WatchEvent::Kind::error) {
    j["from"] = watch_state_word(e.from);
    j["to"] = watch_state_word(e.to);
  }
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (e.since_wall > 0) {
    j["since"] = unix_seconds(e.since_wall);
    j["duration_s"] = unix_seconds(e.wall - e.since_wall);
  }
  return line(j);
}

std::string watch_round_json(const model::RoundResult& r, const std::string& netns) {
  nlohmann::json j = base("round", r.start_wall);
  if (!netns.empty()) j["netns"] = netns;
  j["target"] = r.target;
  j["probe"] = watch_probe_word(r.probe);
  if (!r.addr.empty()) j["addr"] = r.addr;
  j["success"] = r.success;
  j["sent"] = r.sent;
  j["received"] = r.received;
  if (r.sent > 0) j["loss_pct"] = 100.0 * (r.sent - r.received) / r.sent;
  j["duration_ms"] = ms(r.duration);
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.rtts.empty()) {
    RttSummary s = summarize_rtts(r.rtts);
    j["rtt_min_ms"] = s.min * 1e3;
    j["rtt_median_ms"] = s.median * 1e3;
    j["rtt_max_ms"] = s.max * 1e3;
    j["rtt_stddev_ms"] = s.stddev * 1e3;
    nlohmann::json list = nlohmann::json::array(), list_ns = nlohmann::json::array();
    for (TimeNs t : r.rtts) {
      list.push_back(ms(t));
      list_ns.push_back(t);
    }
    j["rtts_ms"] = list;
    j["rtts_ns"] = list_ns;
  }
  if (r.reply_ttl >= 0) j["reply_ttl"] = r.reply_ttl;
  if (!r.phases.empty()) {
    nlohmann::json p = nlohmann::json::object();
    for (const auto& [name, d] : r.phases) p[name] = ms(d);
    j["phases_ms"] = p;
  }
  if (r.probe == model::WatchProbe::http) {
    j["http_status"] = r.http_status;
    if (r.http_status) {
      j["http_version"] = r.http_version;
      if (r.content_length >= 0) j["content_length"] = r.content_length;
      j["body_length"] = r.body_length;
    }
    j["redirects"] = r.redirects;
    j["tls"] = r.tls;
    if (!r.tls_version.empty()) j["tls_version"] = r.tls_version;
    if (r.tls_not_after > 0) j["tls_not_after"] = r.tls_not_after;
    if (r.failed_due_to_regex) j["failed_due_to_regex"] = true;
  }
  if (r.probe == model::WatchProbe::dns && r.dns_rcode >= 0) {
    j["dns_rcode"] = r.dns_rcode;
    j["dns_answer_rrs"] = r.dns_answer_rrs;
    j["dns_authority_rrs"] = r.dns_authority_rrs;
    j["dns_additional_rrs"] = r.dns_additional_rrs;
  }
  if (r.probe == model::WatchProbe::snmp && !r.snmp.empty()) j["snmp"] = watch_snmp_values_json(r.snmp);
  if (r.probe == model::WatchProbe::dnsbl) {
    j["dnsbl"] = watch_dnsbl_json(r.dnsbl);
    if (r.no_verdict) j["no_verdict"] = true;
  }
  return line(j);
}

nlohmann::json watch_snmp_values_json(const std::vector<model::SnmpValue>& values) {
  nlohmann::json a = nlohmann::json::array();
  for (const model::SnmpValue& v : values) {
    nlohmann::json o = {{"name", v.name}, {"oid", v.oid}};
    if (v.has_value) o["value"] = v.value;
    if (v.has_rate) o["rate"] = v.rate;
    if (!v.text.empty()) o["text"] = v.text;
    a.push_back(std::move(o));
  }
  return a;
}


}  // namespace reach::format
