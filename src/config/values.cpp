#include "config/values.hpp"

#include "base/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
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

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Result<std::int64_t> parse_duration(std::string_view text) {
  // Units largest first, each at most once (Prometheus' model.ParseDuration grammar).
  struct Unit {
    std::string_view name;
    std::int64_t ns;
  };
  static constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 86400 * kNsPerSec},
                                                  {"w", 7LL * 86400 * kNsPerSec},
                                                  {"d", 86400LL * kNsPerSec},
                                                  {"h", 3600LL * kNsPerSec},
                                                  {"m", 60LL * kNsPerSec},
                                                  {"s", kNsPerSec},
                                                  {"ms", kNsPerMs}}};
  auto bad = [&](std::string_view why) {
    return fail("duration", std::string(text), 0,
                fmt::format("'{}' {}", text, why));
  };
  if (text == "0") return 0;
  if (text.empty()) return bad("is empty (a duration like 1s, 500ms, 1m30s)");
  std::int64_t total = 0;
  std::size_t next_unit = 0, i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j - i > 18) return bad("is not a duration like 1s, 500ms, 1m30s");
    std::int64_t n = 0;
    std::from_chars(text.data() + i, text.data() + j, n);
    std::size_t k = j;
    while (k < text.size() && (text[k] < '0' || text[k] > '9')) ++k;
    std::string_view unit = text.substr(j, k - j);
    std::size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size())
      return bad(unit.empty() || next_unit == 0 || std::none_of(kUnits.begin(), kUnits.end(),
                                                                [&](const Unit& x) { return x.name == unit; })
                     ? "is not a duration like 1s, 500ms, 1m30s (units y w d h m s ms)"
                     : "has its units out of order or repeated (largest first: 1h30m)");
    if (n > (INT64_MAX - total) / kUnits[u].ns) return bad("is too long");
    total += n * kUnits[u].ns;
    next_unit = u + 1;
    i = k;
  }
  return total;
}

std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out.push_back('-');
    ns = ns == INT64_MIN ? INT64_MAX : -ns;
  }
  static constexpr std::array<std::pair<const char*, std::int64_t>, 9> kUnits = {
      {{"y", 365LL * 86400 * kNsPerSec},
       {"w", 7LL * 86400 * kNsPerSec},
       {"d", 86400LL * kNsPerSec},
       {"h", 3600LL * kNsPerSec},
       {"m", 60LL * kNsPerSec},
       {"s", kNsPerSec},
       {"ms", kNsPerMs},
       {"us", kNsPerUs},
       {"ns", 1}}};
  for (auto [name, size] : kUnits) {
    if (ns >= size) {
      out += fmt::format("{}{}", ns / size, name);
      ns %= size;
    }
  }
  return out;
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  struct Unit {
    std::string_view name;
    unsigned __int128 mult;
  };
  static constexpr unsigned __int128 k = 1000, ki = 1024;
  static constexpr std::array<Unit, 12> kUnits = {{{"B", 1},
                                                   {"kB", k},
                                                   {"KB", k},
                                                   {"MB", k * k},
                                                   {"GB", k * k * k},
                                                   {"TB", k * k * k * k},
                                                   {"PB", k * k * k * k * k},
                                                   {"KiB", ki},
                                                   {"MiB", ki * ki},
                                                   {"GiB", ki * ki * ki},
                                                   {"TiB", ki * ki * ki * ki},
                                                   {"PiB", ki * ki * ki * ki * ki}}};
  auto bad = [&](std::string_view why) {
    return fail("size", std::string(text), 0, fmt::format("'{}' {}", text, why));
  };
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  std::string_view number_part = text.substr(0, i), unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  auto dot = number_part.find('.');
  std::string_view whole = number_part.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : number_part.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(frac)) || whole.size() > 20 ||
      frac.size() > 18)
    return bad("is not a size like 500MB, 30GB or 30GiB");
  unsigned __int128 mult = 0;
  if (unit.empty()) mult = 1;
  for (const auto& u : kUnits)
    if (u.name == unit) mult = u.mult;
  if (mult == 0) return bad("has an unknown unit (B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)");
  unsigned __int128 w = 0, f = 0, scale = 1;
  for (char c : whole) w = w * 10 + static_cast<unsigned>(c - '0');
  for (char c : frac) {
    f = f * 10 + static_cast<unsigned>(c - '0');
    scale *= 10;
  }
  unsigned __int128 bytes = w * mult;
  if (w != 0 && bytes / w != mult) return bad("is too large");
  unsigned __int128 frac_bytes = f * mult;
  if (frac_bytes % scale != 0) return bad("is not a whole number of bytes");
  bytes += frac_bytes / scale;
  if (bytes > UINT64_MAX) return bad("is too large");
  return static_cast<std::uint64_t>(bytes);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 't'/'z' and a space for 'T' as RFC 3339 allows.
  if (t.size() < 20) return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<long long> {
    auto s = t.substr(at, n);
    return all_digits(s) ? number(s) : std::nullopt;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  char sep = t[10];
  if (!y || !mo || !d || !h || !mi || !s || t[4] != '-' || t[7] != '-' || t[13] != ':' || t[16] != ':' ||
      (sep != 'T' && sep != 't' && sep != ' '))
    return std::nullopt;
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > kDays[static_cast<std::size_t>(*mo - 1)] || *h > 23 || *mi > 59 ||
      *s > 60)
    return std::nullopt;
  bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*mo == 2 && *d == 29 && !leap) return std::nullopt;
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  std::string_view zone = t.substr(i);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = (*oh * 60 + *om) * 60 * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  return days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d)) * 86400 + *h * 3600 +
         *mi * 60 + std::min<long long>(*s, 59) - offset;
}

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
