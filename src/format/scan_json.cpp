// NDJSON output of `reach scan`: schema in docs/JSON.md. Open and filtered ports one object
// each; closed ports are counted per host (a full scan would otherwise print 65,000 lines).
#include <nlohmann/json.hpp>

#include "format/scan_writer.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

class JsonWriter final : public ScanWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void start(const ScanRunInfo& info) override {
    geo_ = info.geo;
    nlohmann::json j = base("start");
    j["method"] = info.method;
    j["addresses"] = info.addresses;
    j["ports"] = info.ports;
    j["rate"] = info.rate;
    j["retries"] = info.retries;
    j["seed"] = info.seed;
    emit(j);
  }

  void notice(const std::string& text) override {
    nlohmann::json j = base("notice");
    j["message"] = text;
    emit(j);
  }

  void results(const std::vector<model::PortResult>& results) override {
    for (const auto& h : split_by_host(results)) {
      for (auto* r = h.begin; r != h.end; ++r) {
        if (r->state == model::PortState::closed) continue;
        nlohmann::json j = base("port");
        j["addr"] = r->addr.to_string();
        j["port"] = r->port;
        j["proto"] = "tcp";
        j["state"] = port_state_name(r->state);
        j["reason"] = port_reason_name(r->reason);
        if (r->ttl >= 0) j["ttl"] = r->ttl;
        if (!(r->from == r->addr)) j["from"] = r->from.to_string();
        if (!r->service.empty()) j["service"] = r->service;
        if (!r->banner.empty()) j["banner"] = r->banner;
        emit(j);
      }
      nlohmann::json j = base("host");
      j["addr"] = h.begin->addr.to_string();
      put_geo(j, geo_, h.begin->addr);
      j["open"] = h.open;
      j["closed"] = h.closed;
      j["filtered"] = h.filtered;
      emit(j);
    }
  }

  void summary(const model::ScanSummary& s) override {
    nlohmann::json j = base("summary");
    j["addresses"] = s.addresses;
    j["hosts_up"] = s.hosts_up;
    j["ports"] = s.ports;
    j["probes"] = s.probes;
    j["sent"] = s.sent;
    j["send_errors"] = s.send_errors;
    j["replies"] = s.replies;
    j["duplicates"] = s.duplicates;
    j["ignored"] = s.ignored;
    j["passes"] = s.passes;
    j["time_ms"] = s.elapsed / kNsPerMs;
    emit(j);
  }

 private:
  static nlohmann::json base(const char* type) {
    nlohmann::json j;
    j["type"] = type;
    j["version"] = kSchemaVersion;
    return j;
  }
  void emit(const nlohmann::json& j) { out_ << j.dump() << '\n'; }

  GeoOf geo_;
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<ScanWriter> make_scan_json_writer(std::ostream& out) { return std::make_unique<JsonWriter>(out); }

}  // namespace reach::format
