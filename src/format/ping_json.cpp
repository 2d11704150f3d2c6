// NDJSON output of `reach ping`: one object per line, schema in docs/JSON.md.
#include <nlohmann/json.hpp>

#include "format/json_rtt.hpp"
#include "format/ping_writer.hpp"
#include "packet/tcp.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

const char* event_type(model::EventType t) {
  switch (t) {
    case model::EventType::reply: return "reply";
    case model::EventType::icmp_error: return "icmp_error";
    case model::EventType::timeout: return "timeout";
    case model::EventType::send_error: return "send_error";
  }
  return "?";
}

double ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }

class JsonWriter final : public PingWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void start(const PingRunInfo& info) override {
    info_ = info;
    for (const auto& t : info.targets) {
      nlohmann::json j = base("start", t);
      j["method"] = method_name(info.method);
      if (info.method != model::Method::icmp) j["port"] = info.port;
      j["payload"] = info.payload;
      j["socket"] = info.socket;
      j["kernel_timestamps"] = info.kernel_timestamps;
      emit(j);
    }
  }

  void event(const model::ProbeEvent& e) override {
    nlohmann::json j = base(event_type(e.type), info_.targets.at(e.target));
    j["seq"] = e.seq;
    j["time"] = static_cast<double>(e.when + info_.wall_offset) / 1e9;
    if (e.type == model::EventType::send_error) {
      j["error"] = e.error;
      return emit(j);
    }
    if (e.type == model::EventType::timeout) return emit(j);
    j["from"] = e.from.to_string();
    if (e.rtt) {
      put_rtt(j, *e.rtt, e.tx_source, e.rx_source, e.tx_drop, e.rx_drop);
    }
    j["dup"] = e.duplicate;
    j["late"] = e.late;
    if (e.ttl >= 0) j["ttl"] = e.ttl;
    if (e.bytes) j["bytes"] = e.bytes;
    if (e.ip_len) j["ip_len"] = e.ip_len;
    if (e.ip_id) j["ip_id"] = *e.ip_id;
    if (e.dont_fragment) j["df"] = true;
    if (info_.method == model::Method::tcp_syn || info_.method == model::Method::tcp_connect) {
      j["sport"] = e.sport;
      j["flags"] = packet::tcp_flags_string(e.tcp_flags);
      j["refused"] = e.refused;
      if (info_.method == model::Method::tcp_syn) j["win"] = e.tcp_window;
    }
    if (!e.icmp_name.empty()) {
      j["icmp_type"] = e.icmp_type;
      j["icmp_code"] = e.icmp_code;
      j["icmp_name"] = e.icmp_name;
    }
    if (!e.error.empty()) j["error"] = e.error;
    emit(j);
  }

  void summary(const model::PingSummary& s) override {
    nlohmann::json j = base("summary", info_.targets.at(s.target));
    j["transmitted"] = s.transmitted;
    j["received"] = s.received;
    j["duplicates"] = s.duplicates;
    j["errors"] = s.errors;
    j["late"] = s.late;
    j["ignored"] = s.ignored;
    j["stamps_dropped"] = s.stamps_dropped;
    j["socket_drops"] = s.socket_drops;
    j["loss_pct"] = loss_percent(s);
    j["time_ms"] = s.elapsed / kNsPerMs;
    if (s.received > 0) {
      j["rtt_min_ms"] = ms(s.rtt_min);
      j["rtt_avg_ms"] = s.rtt_avg / 1e6;
      j["rtt_max_ms"] = ms(s.rtt_max);
      j["rtt_mdev_ms"] = s.rtt_mdev / 1e6;
      j["timestamps"] = s.all_kernel_stamps ? "kernel" : "mixed";
    }
    emit(j);
  }

  void notice(const std::string& text) override {
    nlohmann::json j;
    j["type"] = "notice";
    j["version"] = kSchemaVersion;
    j["message"] = text;
    emit(j);
  }

 private:
  static nlohmann::json base(const char* type, const model::Target& t) {
    nlohmann::json j;
    j["type"] = type;
    j["version"] = kSchemaVersion;
    j["target"] = t.name;
    j["addr"] = t.addr.to_string();
    return j;
  }
  void emit(const nlohmann::json& j) {
    // Names come from the command line: never let a byte that is not UTF-8 throw.
    out_ << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out_.flush();
  }

  std::ostream& out_;
  PingRunInfo info_;
};

}  // namespace

std::unique_ptr<PingWriter> make_json_writer(std::ostream& out) { return std::make_unique<JsonWriter>(out); }

}  // namespace reach::format
