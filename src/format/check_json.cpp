// NDJSON output of `reach check`: one `check` object per endpoint, then a `summary`.
#include <nlohmann/json.hpp>

#include "format/check_writer.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

double ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

void write_check_json(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const model::CheckSummary& s,
                      const GeoOf& geo) {
  for (const auto& o : rows) {
    nlohmann::ordered_json j{{"type", "check"}, {"version", kSchemaVersion}, {"name", o.name}, {"endpoint", o.endpoint},
                     {"kind", check_kind_word(o.kind)}, {"port", o.port}, {"result", check_status_word(o.status)},
                     {"ok", o.ok}, {"reason", o.reason}, {"attempts", o.attempts}};
    if (o.addr) {
      j["addr"] = o.addr->to_string();
      put_geo(j, geo, *o.addr);
    }
    if (o.time) {
      j["time_ms"] = ms(*o.time);
      j["time_ns"] = *o.time;
    }
    if (o.err) j["errno"] = o.err;
    if (o.icmp) {
      j["icmp_type"] = o.icmp->type;
      j["icmp_code"] = o.icmp->code;
      if (o.icmp->from) j["icmp_from"] = o.icmp->from->to_string();
    }
    if (o.http_status) j["http_status"] = o.http_status;
    if (o.timings)
      j["timings_ms"] = {{"dns", ms(o.timings->dns)},          {"connect", ms(o.timings->connect)},
                         {"tls", ms(o.timings->tls)},          {"first_byte", ms(o.timings->first_byte)},
                         {"total", ms(o.timings->total)}};
    if (o.cert_days) j["cert_days"] = *o.cert_days;
    if (o.must_pass) {
      j["expect"] = *o.must_pass ? "pass" : "block";
      j["from"] = o.from;
    }
    out << j.dump() << '\n';
  }
  nlohmann::ordered_json sum{{"type", "summary"}, {"version", kSchemaVersion}, {"total", s.total},
                     {"ok", s.ok},        {"failed", s.failed},       {"elapsed_ms", ms(s.elapsed)}};
  out << sum.dump() << '\n';
  out.flush();
}

}  // namespace reach::format
