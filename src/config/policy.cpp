#include "config/policy.hpp"

#include <fmt/format.h>

#include <cmath>
#include <variant>

#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include "base/ip_addr.hpp"

namespace reach::config {
namespace {

tl::unexpected<Error> bad(const std::string& source, std::size_t line, std::string why) {
  return fail("policy", source, 0, fmt::format("line {}: {}", line, why));
}

bool valid_netns_name(std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "." || s == "..") return false;
  for (char c : s)
    if (c == '/' || static_cast<unsigned char>(c) <= ' ') return false;
  return true;
}

// toml++ 3.3 reaches __builtin_unreachable on some non-ASCII characters (found by fuzz_policy),
// so it never sees one: comments are blanked out here (line numbers kept) and any other
// non-ASCII byte is refused. Returns the text to parse, or the line of the offending byte.
std::variant<std::string, std::size_t> ascii_without_comments(std::string_view t) {
  enum class S { normal, comment, basic, literal, ml_basic, ml_literal } s = S::normal;
  std::string out(t);
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    auto starts = [&](std::string_view w) { return t.substr(i, w.size()) == w; };
    if (c == '\n') {
      ++line;
      // Comments and one-line strings end here (an unterminated string is toml++'s to report).
      if (s == S::comment || s == S::basic || s == S::literal) s = S::normal;
      continue;
    }
    if (s == S::comment) {
      out[i] = ' ';
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) return line;
    switch (s) {
      case S::normal:
        if (c == '#') {
          s = S::comment;
          out[i] = ' ';
        } else if (starts(R"(""")")) {
          s = S::ml_basic;
          i += 2;
        } else if (starts("'''")) {
          s = S::ml_literal;
          i += 2;
        } else if (c == '"') {
          s = S::basic;
        } else if (c == '\'') {
          s = S::literal;
        }
        break;
      case S::comment: break;
      case S::basic:
        if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n') ++i;
        else if (c == '"') s = S::normal;
        break;
      case S::literal:
        if (c == '\'') s = S::normal;
        break;
      case S::ml_basic:
        if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n') {
          ++i;
        } else if (starts(R"(""")")) {
          s = S::normal;
          i += 2;
        }
        break;
      case S::ml_literal:
        if (starts("'''")) {
          s = S::normal;
          i += 2;
        }
        break;
    }
  }
  return out;
}

}  // namespace

Result<Policy> parse_policy(std::string_view text, const std::string& source) {
  auto ascii = ascii_without_comments(text);
  if (const auto* line = std::get_if<std::size_t>(&ascii))
    return bad(source, *line, "a non-ASCII character (policy files are ASCII, except in comments)");
  toml::parse_result parsed = toml::parse(std::get<std::string>(ascii), source);
  if (!parsed) {
    const auto& e = parsed.error();
    return fail("policy", source, 0,
                fmt::format("line {} column {}: {}", e.source().begin.line, e.source().begin.column,
                            e.description()));
  }
  const toml::table& root = parsed.table();
  Policy policy;
  for (const auto& [key, node] : root) {
    std::size_t line = node.source().begin.line;
    if (key == "timeout") {
      auto v = node.value<double>();
      if (!v || !std::isfinite(*v) || *v <= 0 || *v > 3600)
        return bad(source, line, "timeout must be a number of seconds, more than 0 and at most 3600");
      policy.timeout = *v;
    } else if (key != "flow") {
      return bad(source, line, fmt::format("unknown key '{}' (timeout, [[flow]])", key.str()));
    }
  }
  const toml::node* flows = root.get("flow");
  if (!flows) return fail("policy", source, 0, "no [[flow]] in the file");
  const toml::array* arr = flows->as_array();
  if (!arr || !arr->is_array_of_tables())
    return bad(source, flows->source().begin.line, "'flow' must be an array of tables: write [[flow]]");
  for (const toml::node& n : *arr) {
    const toml::table& t = *n.as_table();
    Flow f;
    f.line = t.source().begin.line;
    for (const auto& [key, v] : t) {
      std::size_t line = v.source().begin.line;
      auto str = v.value<std::string>();
      if (!str) return bad(source, line, fmt::format("'{}' must be a string", key.str()));
      if (key == "name") {
        f.name = *str;
      } else if (key == "from") {
        if (IpAddr::parse(*str)) f.from_address = *str;
        else if (valid_netns_name(*str)) f.from_netns = *str;
        else return bad(source, line, fmt::format("from '{}' is neither an address nor a namespace name", *str));
      } else if (key == "to") {
        auto e = parse_endpoint(*str);
        if (!e) return bad(source, line, e.error().detail.empty() ? "bad endpoint" : e.error().detail);
        if (e->kind != CheckKind::tcp) return bad(source, line, "policy flows are TCP: write host:port");
        f.to = *e;
      } else if (key == "expect") {
        if (*str == "pass") f.must_pass = true;
        else if (*str == "block") f.must_pass = false;
        else return bad(source, line, fmt::format("expect '{}': write \"pass\" or \"block\"", *str));
      } else {
        return bad(source, line, fmt::format("unknown key '{}' (name, from, to, expect)", key.str()));
      }
    }
    if (f.to.host.empty()) return bad(source, f.line, "flow without 'to'");
    if (!t.contains("expect")) return bad(source, f.line, "flow without 'expect' (\"pass\" or \"block\")");
    if (f.name.empty())
      f.name = fmt::format("{} -> {}", f.from_netns.empty() ? (f.from_address.empty() ? "here" : f.from_address)
                                                             : f.from_netns,
                           f.to.name);
    policy.flows.push_back(std::move(f));
  }
  if (policy.flows.empty()) return fail("policy", source, 0, "no [[flow]] in the file");
  return policy;
}

}  // namespace reach::config
