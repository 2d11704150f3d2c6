// NDJSON output of `reach trace`: one object per line, schema in docs/JSON.md.
#include <nlohmann/json.hpp>

#include "format/json_rtt.hpp"
#include "format/trace_writer.hpp"
#include "packet/tcp.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

const char* answer_name(model::TraceAnswer a) {
  switch (a) {
    case model::TraceAnswer::none: return "timeout";
    case model::TraceAnswer::time_exceeded: return "time_exceeded";
    case model::TraceAnswer::unreachable: return "unreachable";
    case model::TraceAnswer::reply: return "reply";
  }
  return "?";
}

nlohmann::json base(const char* type, const TraceRunInfo& i) {
  return nlohmann::json{{"type", type}, {"version", kSchemaVersion}, {"target", i.name},
                        {"addr", i.target.to_string()}};
}

nlohmann::json mpls_json(const std::vector<model::MplsEntry>& stack) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : stack) a.push_back({{"label", e.label}, {"tc", e.tc}, {"s", e.bottom}, {"ttl", e.ttl}});
  return a;
}

void put_name(nlohmann::json& j, const IpAddr& a, const NameOf& name) {
  if (auto n = name ? name(a) : std::nullopt) j["name"] = *n;
}

nlohmann::json probe_json(const model::TraceProbe& p, const TraceRunInfo& i) {
  nlohmann::json j = base("probe", i);
  j["ttl"] = p.ttl;
  j["probe"] = p.index;
  j["answer"] = answer_name(p.answer);
  j["time"] = static_cast<double>(p.sent + i.wall_offset) / 1e9;
  if (p.answer == model::TraceAnswer::none) {
    if (p.flag == "!E") j["send_error"] = true;
    return j;
  }
  j["from"] = p.from.to_string();
  if (p.rtt) {
    put_rtt(j, *p.rtt, p.tx_source, p.rx_source, p.tx_drop, p.rx_drop);
  }
  if (p.answer != model::TraceAnswer::reply || i.method == model::TraceMethod::icmp) {
    j["icmp_type"] = p.icmp_type;
    j["icmp_code"] = p.icmp_code;
  }
  if (p.tcp_flags) j["flags"] = packet::tcp_flags_string(static_cast<std::uint8_t>(p.tcp_flags));
  if (!p.flag.empty()) j["flag"] = p.flag;
  if (!p.mpls.empty()) j["mpls"] = mpls_json(p.mpls);
  if (p.reply_ttl >= 0) j["reply_ttl"] = p.reply_ttl;
  j["at_target"] = p.at_target;
  if (p.late) j["late"] = true;
  return j;
}

class JsonWriter final : public TraceWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void start(const TraceRunInfo& i) override {
    info_ = i;
    nlohmann::json j = base("start", i);
    j["source"] = i.source.to_string();
    j["method"] = trace_method_name(i.method);
    if (i.method != model::TraceMethod::icmp) j["port"] = i.port;
    j["first_ttl"] = i.first_ttl;
    j["max_hops"] = i.max_ttl;
    j["queries"] = i.queries;
    j["packet_len"] = i.packet_len;
    j["socket"] = i.socket;
    j["kernel_timestamps"] = i.kernel_timestamps;
    j["paris"] = i.paris;
    emit(j);
  }

  void probe(const model::TraceProbe& p) override { emit(probe_json(p, info_)); }

  void hop(const model::TraceHop& h, const NameOf& name) override {
    nlohmann::json j = base("hop", info_);
    j["ttl"] = h.ttl;
    j["responders"] = responders(h, name);
    int lost = 0;
    for (const auto& p : h.probes) lost += p.answer == model::TraceAnswer::none;
    j["timeouts"] = lost;
    emit(j);
  }

  void end(const model::TraceResult& r, const NameOf& name) override {
    nlohmann::json j = base("path", info_);
    j["reached"] = r.reached;
    if (r.final_ttl) j["final_ttl"] = *r.final_ttl;
    nlohmann::json hops = nlohmann::json::array();
    for (const auto& h : r.hops) hops.push_back({{"ttl", h.ttl}, {"responders", responders(h, name)}});
    j["hops"] = hops;
    j["sent"] = r.counters.sent;
    j["answered"] = r.counters.answered;
    j["ignored"] = r.counters.ignored;
    j["wrong_flow"] = r.counters.wrong_flow;
    j["duplicates"] = r.counters.duplicates;
    j["late"] = r.counters.late;
    j["stamps_dropped"] = r.counters.stamps_dropped;
    j["elapsed_ms"] = static_cast<double>(r.elapsed) / 1e6;
    emit(j);
  }

  void notice(const std::string& text) override {
    nlohmann::json j{{"type", "notice"}, {"version", kSchemaVersion}, {"message", text}};
    emit(j);
  }

 private:
  nlohmann::json responders(const model::TraceHop& h, const NameOf& name) const {
    nlohmann::json rs = nlohmann::json::array();
    std::vector<IpAddr> seen;
    for (const auto& p : h.probes) {
      if (p.answer == model::TraceAnswer::none) continue;
      std::size_t k = 0;
      while (k < seen.size() && !(seen[k] == p.from)) ++k;
      if (k == seen.size()) {
        seen.push_back(p.from);
        nlohmann::json r{{"addr", p.from.to_string()}, {"rtts_ms", nlohmann::json::array()}};
        put_name(r, p.from, name);
        put_geo(r, info_.geo, p.from);
        r["at_target"] = p.at_target;
        rs.push_back(r);
      }
      if (p.rtt) rs[k]["rtts_ms"].push_back(static_cast<double>(*p.rtt) / 1e6);
      if (!p.flag.empty()) rs[k]["flag"] = p.flag;
      if (!p.mpls.empty() && !rs[k].contains("mpls")) rs[k]["mpls"] = mpls_json(p.mpls);
    }
    return rs;
  }

  void emit(const nlohmann::json& j) {
    out_ << j.dump() << '\n';
    out_.flush();
  }

  std::ostream& out_;
  TraceRunInfo info_;
};

}  // namespace

std::unique_ptr<TraceWriter> make_trace_json_writer(std::ostream& out) { return std::make_unique<JsonWriter>(out); }

void write_trace_report_json(std::ostream& out, const TraceRunInfo& info, const std::vector<model::TraceReportRow>& rows,
                             const NameOf& name, bool reached) {
  for (const auto& r : rows) {
    nlohmann::json j = base("report_hop", info);
    j["ttl"] = r.ttl;
    if (r.addr) {
      j["from"] = r.addr->to_string();
      put_name(j, *r.addr, name);
      put_geo(j, info.geo, *r.addr);
    } else {
      j["from"] = nullptr;
    }
    j["sent"] = r.sent;
    j["received"] = r.received;
    j["hop_received"] = r.hop_received;
    j["loss_pct"] = r.sent ? 100.0 * static_cast<double>(r.sent - std::min(r.sent, r.hop_received)) /
                                 static_cast<double>(r.sent)
                           : 0.0;
    if (r.received) {
      j["last_ms"] = r.last_ms;
      j["avg_ms"] = r.avg_ms;
      j["best_ms"] = r.best_ms;
      j["worst_ms"] = r.worst_ms;
      j["stdev_ms"] = r.stdev_ms;
    }
    out << j.dump() << '\n';
  }
  nlohmann::json end = base("report_end", info);
  end["reached"] = reached;
  out << end.dump() << '\n';
  out.flush();
}

}  // namespace reach::format
