#include "engine/watch_snmp.hpp"

#include <fmt/format.h>

namespace reach::engine {
namespace {

bool numeric(SnmpKind k) {
  return k == SnmpKind::integer || k == SnmpKind::counter32 || k == SnmpKind::counter64 || k == SnmpKind::gauge32 ||
         k == SnmpKind::timeticks;
}

double as_double(SnmpKind k, std::uint64_t n) {
  if (k == SnmpKind::integer) return static_cast<double>(static_cast<std::int64_t>(n));
  return static_cast<double>(n);
}

const char* missing_word(SnmpKind k) {
  switch (k) {
    case SnmpKind::no_such_object: return "noSuchObject (the agent does not know this object)";
    case SnmpKind::no_such_instance: return "noSuchInstance (no such row or index)";
    case SnmpKind::end_of_mib_view: return "endOfMibView";
    case SnmpKind::missing: return "not in the answer";
    default: return "a value of a type that is not a number";
  }
}

}  // namespace

std::optional<double> snmp_rate(const SnmpSample& prev, const SnmpSample& now) {
  if (prev.kind != now.kind || !numeric(now.kind) || now.at <= prev.at) return std::nullopt;
  const double secs = static_cast<double>(now.at - prev.at) / 1e9;
  double delta = 0;
  if (now.kind == SnmpKind::counter32) {
    const std::uint64_t a = prev.number & 0xffffffffULL, b = now.number & 0xffffffffULL;
    delta = static_cast<double>(b >= a ? b - a : b + (1ULL << 32) - a);
  } else if (now.kind == SnmpKind::counter64) {
    if (now.number < prev.number) return std::nullopt;
    delta = static_cast<double>(now.number - prev.number);
  } else {
    delta = as_double(now.kind, now.number) - as_double(prev.kind, prev.number);
  }
  return delta / secs;
}

SnmpVerdict judge_snmp(const std::vector<config::SnmpOidSpec>& oids, const std::vector<SnmpRead>& reads,
                       TimeNs at, std::vector<std::optional<SnmpSample>>& last) {
  SnmpVerdict v;
  last.resize(oids.size());
  auto problem = [&](std::string why) {
    if (v.reason.empty()) v.reason = std::move(why);
  };
  for (std::size_t i = 0; i < oids.size(); ++i) {
    const config::SnmpOidSpec& o = oids[i];
    const SnmpRead& r = i < reads.size() ? reads[i] : SnmpRead{};
    model::SnmpValue out;
    out.name = o.name;
    for (std::size_t k = 0; k < o.numeric.size(); ++k) out.oid += (k ? "." : "") + std::to_string(o.numeric[k]);
    if (r.kind == SnmpKind::text) {
      out.text = r.text;
      if (o.rate || o.min || o.max) problem(fmt::format("{}: a text value, not a number", o.name));
      v.values.push_back(std::move(out));
      continue;
    }
    if (!numeric(r.kind)) {
      problem(fmt::format("{}: {}", o.name, missing_word(r.kind)));
      last[i].reset();
      v.values.push_back(std::move(out));
      continue;
    }
    out.has_value = true;
    out.value = as_double(r.kind, r.number);
    double judged = out.value;
    bool judge = true;
    if (o.rate) {
      const SnmpSample now{r.kind, r.number, at};
      std::optional<double> rate = last[i] ? snmp_rate(*last[i], now) : std::nullopt;
      last[i] = now;
      judge = rate.has_value();
      if (rate) {
        out.has_rate = true;
        out.rate = *rate;
        judged = *rate;
      }
    }
    const char* what = o.rate ? "rate" : "value";
    const char* unit = o.rate ? "/s" : "";
    if (judge && o.max && judged > *o.max)
      problem(fmt::format("{}: {} {:g}{} above max {:g}", o.name, what, judged, unit, *o.max));
    if (judge && o.min && judged < *o.min)
      problem(fmt::format("{}: {} {:g}{} below min {:g}", o.name, what, judged, unit, *o.min));
    v.values.push_back(std::move(out));
  }
  v.success = v.reason.empty();
  return v;
}

}  // namespace reach::engine
