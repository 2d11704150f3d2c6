// Prometheus text 0.0.4 / OpenMetrics 1.0.0 bodies (see prom_exposition.hpp for the rules).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "format/prom_exposition.hpp"

namespace reach::format::prom {
namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0, colon)) return false;
  return true;
}

std::string escape(std::string_view v, bool quote) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string om_float(double v) {
  std::string s = go_float(v);
  if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void write_sample(std::string& out, const std::string& name, const Sample& s, Format f) {
  out += name;
  out += s.suffix;
  if (!s.labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : s.labels) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      out += escape_label_value(v);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += f == Format::openmetrics ? om_float(s.value) : go_float(s.value);
  out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) { return valid_name(name, false) && !name.starts_with("__"); }

std::string escape_label_value(std::string_view v) { return escape(v, true); }

// Shortest round-trip digits (to_chars), laid out as Go's %g with precision -1: exponent form
// when the decimal exponent is < -4 or >= 6 (strconv's rule for the shortest form), with at
// least two exponent digits.
std::string go_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // "-1.2345e+06"
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  int nd = static_cast<int>(digits.size());
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-dp), '0');
    out += digits;
  } else if (dp >= nd) {
    out += digits;
    out.append(static_cast<std::size_t>(dp - nd), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(dp));
    out += '.';
    out.append(digits, static_cast<std::size_t>(dp));
  }
  return out;
}

Result<void> check(const std::vector<Family>& families) {
  std::set<std::string_view> seen;
  for (const Family& f : families) {
    if (!valid_metric_name(f.name)) return fail("prometheus exposition", f.name, 0, "invalid metric name");
    if (f.type == Type::counter && f.name.ends_with("_total"))
      return fail("prometheus exposition", f.name, 0, "counter family named with _total (the writer adds it)");
    if (!seen.insert(f.name).second) return fail("prometheus exposition", f.name, 0, "family listed twice");
    for (const Sample& s : f.samples) {
      if (!(s.suffix.empty() || (f.type == Type::summary && (s.suffix == "_sum" || s.suffix == "_count"))))
        return fail("prometheus exposition", f.name, 0, "sample suffix \"" + s.suffix + "\" outside a summary");
      std::set<std::string_view> names;
      for (const auto& [k, v] : s.labels) {
        if (!valid_label_name(k)) return fail("prometheus exposition", f.name, 0, "invalid label name \"" + k + "\"");
        if (!names.insert(k).second) return fail("prometheus exposition", f.name, 0, "label \"" + k + "\" twice");
      }
    }
  }
  return {};
}

Result<std::string> render(const std::vector<Family>& families, Format format) {
  if (auto ok = check(families); !ok) return tl::unexpected(ok.error());
  std::string out;
  for (const Family& f : families) {
    if (f.samples.empty()) continue;
    std::string sample_name = f.type == Type::counter ? f.name + "_total" : f.name;
    const std::string& meta_name = format == Format::openmetrics ? f.name : sample_name;
    out += "# HELP " + meta_name + ' ' + escape(f.help, format == Format::openmetrics) + '\n';
    out += "# TYPE " + meta_name + (f.type == Type::counter ? " counter\n" : f.type == Type::summary ? " summary\n" : " gauge\n");
    for (const Sample& s : f.samples) write_sample(out, sample_name, s, format);
  }
  if (format == Format::openmetrics) out += "# EOF\n";
  return out;
}

}  // namespace reach::format::prom
