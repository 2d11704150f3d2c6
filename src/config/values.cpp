#include "config/values.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string>

namespace reach::config {
namespace {

std::optional<long long> number(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

bool StatusSet::contains(int status) const {
  for (auto [lo, hi] : ranges)
    if (status >= lo && status <= hi) return true;
  return false;
}

Result<StatusSet> parse_status_set(std::string_view text) {
  StatusSet s;
  std::string_view rest = text;
  if (rest.empty()) return fail("--expect-status", "", 0, "empty");
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto dash = item.find('-');
    auto lo = number(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (!lo || !hi || *lo < 100 || *hi > 599 || *lo > *hi)
      return fail("--expect-status", std::string(text), 0,
                  fmt::format("'{}' is not a status or range of statuses within 100-599", item));
    s.ranges.emplace_back(static_cast<int>(*lo), static_cast<int>(*hi));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return s;
}

Result<Threshold> parse_threshold(std::string_view text) {
  Threshold t;
  auto comma = text.find(',');
  std::string_view secs = text.substr(0, comma);
  auto complain = [&](const char* why) { return fail("threshold", std::string(text), 0, why); };
  if (!secs.empty()) {
    double v = 0;
    auto [p, ec] = std::from_chars(secs.data(), secs.data() + secs.size(), v);
    if (ec != std::errc() || p != secs.data() + secs.size() || !std::isfinite(v) || v < 0 || v > 3600)
      return complain("TIME must be seconds from 0 to 3600 (TIME[,FAILED])");
    t.seconds = v;
  }
  if (comma != std::string_view::npos) {
    auto n = number(text.substr(comma + 1));
    if (!n || *n < 0 || *n > 10000000) return complain("FAILED must be a count of endpoints (TIME[,FAILED])");
    t.failed = static_cast<unsigned>(*n);
  }
  if (!t.seconds && !t.failed) return complain("empty (TIME[,FAILED])");
  return t;
}

std::optional<std::int64_t> parse_cert_time(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Mon DD HH:MM:SS YYYY GMT", DD padded with a space.
  if (text.size() < 24) return std::nullopt;
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (text.substr(0, 3) == kMonths[i]) month = i + 1;
  if (month == 0 || text[3] != ' ') return std::nullopt;
  std::string_view day = text.substr(4, 2);
  if (day[0] == ' ') day = day.substr(1);
  auto d = number(day);
  auto hh = number(text.substr(7, 2)), mm = number(text.substr(10, 2)), ss = number(text.substr(13, 2));
  auto y = number(text.substr(16, 4));
  if (text[6] != ' ' || text[9] != ':' || text[12] != ':' || text[15] != ' ' || text.substr(20) != " GMT")
    return std::nullopt;
  if (!d || !hh || !mm || !ss || !y || *d < 1 || *d > 31 || *hh > 23 || *mm > 59 || *ss > 60 || *y < 1950 ||
      *hh < 0 || *mm < 0 || *ss < 0)
    return std::nullopt;
  return days_from_civil(*y, month, static_cast<unsigned>(*d)) * 86400 + *hh * 3600 + *mm * 60 + *ss;
}

std::optional<Wait> parse_wait(const std::string& s) {
  Wait w;
  double* parts[] = {&w.max, &w.here, &w.near};
  std::size_t pos = 0;
  for (int i = 0; i < 3 && pos <= s.size(); ++i) {
    std::size_t comma = s.find(',', pos);
    std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    try {
      std::size_t used = 0;
      double v = std::stod(part, &used);
      if (used != part.size() || !std::isfinite(v) || v < 0 || v > 3600) return std::nullopt;
      *parts[i] = v;
    } catch (...) {
      return std::nullopt;
    }
    if (comma == std::string::npos) return w.max > 0 ? std::optional<Wait>(w) : std::nullopt;
    pos = comma + 1;
  }
  return std::nullopt;
}

}  // namespace reach::config
