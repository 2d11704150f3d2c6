// Accept-header negotiation for /metrics, as client_golang's expfmt.NegotiateIncludingOpenMetrics
// (with goautoneg's ordering). Differences, on purpose: media types and parameter names compare
// case-insensitively and quoted parameter values are unquoted (RFC 9110 allows both), and a
// clause with q=0 is "not acceptable" (RFC 9110 §12.4.2) instead of being tried anyway.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "format/prom_exposition.hpp"

namespace reach::format::prom {
namespace {

struct Clause {
  std::string type, subtype, version;
  double q = 1.0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "0.5" -> 0.5; anything that is not a qvalue (RFC 9110: 0..1, up to 3 decimals) -> -1.
double qvalue(std::string_view v) {
  double q = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
  if (ec != std::errc() || p != v.data() + v.size() || !(q >= 0 && q <= 1)) return -1;
  return q;
}

template <class F>
void split(std::string_view s, char sep, F&& f) {
  while (true) {
    auto pos = s.find(sep);
    f(s.substr(0, pos));
    if (pos == std::string_view::npos) return;
    s.remove_prefix(pos + 1);
  }
}

std::vector<Clause> parse_accept(std::string_view accept) {
  std::vector<Clause> out;
  split(accept, ',', [&](std::string_view part) {
    Clause c;
    bool first = true, ok = true;
    split(part, ';', [&](std::string_view item) {
      item = trim(item);
      if (first) {
        first = false;
        auto slash = item.find('/');
        if (item == "*") {
          c.type = c.subtype = "*";
        } else if (slash == std::string_view::npos || slash == 0 || slash + 1 == item.size()) {
          ok = false;
        } else {
          c.type = lower(trim(item.substr(0, slash)));
          c.subtype = lower(trim(item.substr(slash + 1)));
        }
        return;
      }
      auto eq = item.find('=');
      if (eq == std::string_view::npos) return;
      std::string key = lower(trim(item.substr(0, eq)));
      std::string_view val = trim(item.substr(eq + 1));
      if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
      if (key == "q") {
        c.q = qvalue(val);
        if (c.q < 0) ok = false;
      } else if (key == "version") {
        c.version = std::string(val);
      }
    });
    if (ok && c.q > 0) out.push_back(std::move(c));
  });
  // goautoneg's order: higher q first, then a concrete type before */*, a concrete subtype
  // before type/*; stable otherwise (the header's own order).
  std::stable_sort(out.begin(), out.end(), [](const Clause& a, const Clause& b) {
    if (a.q != b.q) return a.q > b.q;
    if ((a.type != "*") != (b.type != "*")) return a.type != "*";
    return a.subtype != "*" && b.subtype == "*";
  });
  return out;
}

}  // namespace

Negotiated negotiate(std::string_view accept) {
  for (const Clause& c : parse_accept(accept)) {
    if (c.type == "text" && c.subtype == "plain" && (c.version.empty() || c.version == "0.0.4"))
      return {Format::text, kContentTypeText};
    if (c.type == "application" && c.subtype == "openmetrics-text") {
      if (c.version == "1.0.0") return {Format::openmetrics, kContentTypeOpenMetrics1};
      if (c.version.empty() || c.version == "0.0.1") return {Format::openmetrics, kContentTypeOpenMetrics0};
    }
  }
  return {Format::text, kContentTypeText};
}

}  // namespace reach::format::prom
