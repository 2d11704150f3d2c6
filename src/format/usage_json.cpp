// NDJSON and vnStat JSON of `reach usage` (usage_json.hpp).
#include "format/usage_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "format/wall_time.hpp"

namespace reach::format {
namespace {

using nlohmann::ordered_json;

constexpr int kSchemaVersion = 1;
constexpr const char* kVnstatVersion = "2.10";  // the vnStat whose output this reproduces

std::string line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}
std::string line(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + '\n';
}

// RFC 3339 with the zone's offset: "2026-11-15T00:00:00+01:00".
std::string rfc3339_local(const model::LocalStamp& t) {
  long a = t.utc_offset < 0 ? -t.utc_offset : t.utc_offset;
  std::string zone = t.utc_offset == 0 ? "Z" : fmt::format("{}{:02}:{:02}", t.utc_offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", t.year, t.month, t.day, t.hour, t.minute, t.second, zone);
}

const char* count_word(model::UsageCount c) {
  return c == model::UsageCount::rx ? "rx" : c == model::UsageCount::tx ? "tx" : "both";
}

nlohmann::json base(const char* type, std::int64_t now) {
  return nlohmann::json{{"type", type}, {"version", kSchemaVersion}, {"time", static_cast<double>(now)},
                        {"timestamp", rfc3339_micro(now * kNsPerSec)}};
}

nlohmann::json plan_json(const model::UsagePlanReport& p, std::int64_t now) {
  nlohmann::json j = base("usage", now);
  j["plan"] = p.name;
  j["count"] = count_word(p.count);
  j["tz"] = p.tz;
  j["cap_bytes"] = p.cap;
  j["used_bytes"] = p.used;
  j["rx_bytes"] = p.rx;
  j["tx_bytes"] = p.tx;
  j["percent"] = p.percent;
  j["cycle_start"] = p.cycle_start;
  j["cycle_end"] = p.cycle_end;
  j["cycle_start_local"] = rfc3339_local(p.cycle_start_local);
  j["cycle_end_local"] = rfc3339_local(p.cycle_end_local);
  if (p.projected_exhaustion) j["projected_exhaustion"] = *p.projected_exhaustion;
  if (p.projected_local) j["projected_exhaustion_local"] = rfc3339_local(*p.projected_local);
  j["daily_budget_bytes"] = p.daily_budget;
  j["days_left"] = p.days_left;
  j["thresholds"] = p.thresholds;
  nlohmann::json fired = nlohmann::json::array();
  for (int f : p.fired)
    if (f >= 0) fired.push_back(f);
  j["fired"] = fired;
  j["projected_fired"] = std::find(p.fired.begin(), p.fired.end(), -1) != p.fired.end();
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : p.sources) {
    nlohmann::json o{{"id", s.id},           {"name", s.name},           {"ok", s.ok},
                     {"rx_bytes", s.rx},     {"tx_bytes", s.tx},         {"rx_total_bytes", s.rx_total},
                     {"tx_total_bytes", s.tx_total}};
    if (!s.ok) o["problem"] = s.problem;
    if (s.first_seen) o["first_seen"] = s.first_seen;
    if (s.last_read) o["last_read"] = s.last_read;
    sources.push_back(o);
  }
  j["sources"] = sources;
  return j;
}

std::string rows_json(const char* type, const model::UsagePlanReport& p, const std::vector<model::UsageBucket>& rows,
                      std::int64_t now) {
  std::string out;
  for (const auto& b : rows) {
    nlohmann::json j = base(type, now);
    j["plan"] = p.name;
    j["start"] = b.start;
    j["end"] = b.end;
    j["start_local"] = rfc3339_local(b.local);
    j["rx_bytes"] = b.rx;
    j["tx_bytes"] = b.tx;
    j["total_bytes"] = b.rx + b.tx;
    out += line(j);
  }
  return out;
}

// vnStat's pieces: {"year":..,"month":..,"day":..} and {"hour":..,"minute":..}.
ordered_json vn_date(const model::LocalStamp& t, int parts) {
  ordered_json d;
  d["year"] = t.year;
  if (parts > 1) d["month"] = t.month;
  if (parts > 2) d["day"] = t.day;
  return d;
}
ordered_json vn_time(const model::LocalStamp& t) {
  ordered_json d;
  d["hour"] = t.hour;
  d["minute"] = t.minute;
  return d;
}

ordered_json vn_rows(const std::vector<model::UsageBucket>& rows, int date_parts, bool with_time) {
  ordered_json list = ordered_json::array();
  int id = 0;
  for (const auto& b : rows) {
    ordered_json r;
    r["id"] = ++id;
    r["date"] = vn_date(b.local, date_parts);
    if (with_time) r["time"] = vn_time(b.local);
    r["timestamp"] = b.start;
    r["rx"] = b.rx;
    r["tx"] = b.tx;
    list.push_back(r);
  }
  return list;
}

model::LocalStamp stamp_of_year(int year) {
  model::LocalStamp t;
  t.year = year;
  return t;
}

}  // namespace

std::string usage_json(const model::UsageReport& report) {
  std::string out;
  for (const auto& p : report.plans) out += line(plan_json(p, report.now));
  for (const auto& p : report.plans) {
    out += rows_json("usage_hour", p, p.hours, report.now);
    out += rows_json("usage_day", p, p.days, report.now);
    out += rows_json("usage_month", p, p.months, report.now);
    out += rows_json("usage_cycle", p, p.cycles, report.now);
  }
  return out;
}

std::string usage_vnstat_json(const model::UsageReport& report) {
  ordered_json doc;
  doc["vnstatversion"] = kVnstatVersion;
  doc["jsonversion"] = "2";
  ordered_json ifaces = ordered_json::array();
  for (const auto& p : report.plans) {
    ordered_json i;
    i["name"] = p.name;
    std::string alias;
    std::uint64_t rx_total = 0, tx_total = 0;
    for (const auto& s : p.sources) {
      alias += (alias.empty() ? "" : ", ") + s.name;
      rx_total += s.rx_total;
      tx_total += s.tx_total;
    }
    // Created: the oldest row's start, or the cycle's (the times reach has local dates for).
    std::int64_t created = p.cycle_start;
    model::LocalStamp created_local = p.cycle_start_local;
    for (const auto* rows : {&p.months, &p.days, &p.hours, &p.cycles})
      if (!rows->empty() && rows->front().start < created) {
        created = rows->front().start;
        created_local = rows->front().local;
      }
    i["alias"] = alias;
    i["created"] = ordered_json{{"date", vn_date(created_local, 3)}, {"timestamp", created}};
    i["updated"] = ordered_json{{"date", vn_date(p.now_local, 3)}, {"time", vn_time(p.now_local)}, {"timestamp", report.now}};
    ordered_json traffic;
    traffic["total"] = ordered_json{{"rx", rx_total}, {"tx", tx_total}};
    traffic["fiveminute"] = ordered_json::array();
    traffic["hour"] = vn_rows(p.hours, 3, true);
    traffic["day"] = vn_rows(p.days, 3, false);
    traffic["month"] = vn_rows(p.months, 2, false);
    // Years: the months summed (as far back as the months go).
    std::map<int, std::pair<std::uint64_t, std::uint64_t>> years;
    std::map<int, std::int64_t> year_start;
    for (const auto& m : p.months) {
      auto& y = years[m.local.year];
      y.first += m.rx;
      y.second += m.tx;
      year_start.emplace(m.local.year, m.start);
    }
    std::vector<model::UsageBucket> year_rows;
    for (const auto& [y, v] : years) year_rows.push_back({year_start[y], 0, stamp_of_year(y), v.first, v.second});
    traffic["year"] = vn_rows(year_rows, 1, false);
    // Top days: the ten biggest, biggest first.
    std::vector<model::UsageBucket> top = p.days;
    std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.rx + a.tx > b.rx + b.tx; });
    if (top.size() > 10) top.resize(10);
    traffic["top"] = vn_rows(top, 3, false);
    i["traffic"] = traffic;
    ifaces.push_back(i);
  }
  doc["interfaces"] = ifaces;
  return line(doc);
}

}  // namespace reach::format
