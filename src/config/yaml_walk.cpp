#include "config/yaml_walk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <yaml-cpp/exceptions.h>

#include "config/values.hpp"

namespace reach::config::yaml {

void Walker::error(int line, std::string path, std::string message) {
  errors_.push_back(ConfigError{source_, line, std::move(path), std::move(message)});
}

ConfigErrors Walker::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  return ConfigErrors{std::move(errors_)};
}

namespace {

const char* kind_name(const Node& n) {
  switch (n.type()) {
    case Type::map: return "a map";
    case Type::sequence: return "a list";
    case Type::null: return "empty";
    case Type::scalar: return "a single value";
    default: return "missing";
  }
}

// Keys and values printed in messages: short and without control characters.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 60) out += "...";
  return out;
}

}  // namespace

std::vector<std::pair<std::string, Node>> Walker::entries(const Node& n, const std::string& path,
                                                                std::initializer_list<std::string_view> known) {
  std::vector<std::pair<std::string, Node>> out;
  if (n.IsNull()) return out;
  if (!n.IsMap()) {
    error(n, path, fmt::format("must be a map of keys, not {}", kind_name(n)));
    return out;
  }
  std::set<std::string> seen;
  for (const auto& kv : n.entries()) {
    const Node& k = kv.first;
    std::string at = path.empty() ? std::string() : path + ".";
    if (!k.IsScalar()) {
      error(k, path, "keys must be plain names");
      continue;
    }
    const std::string& key = k.Scalar();
    if (known.size() != 0 && std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto s : known) list += (list.empty() ? "" : ", ") + std::string(s);
      error(k, at + shown(key), fmt::format("unknown key (known: {})", list));
      continue;
    }
    if (!seen.insert(key).second) {
      error(k, at + shown(key), "given twice");
      continue;
    }
    out.emplace_back(key, kv.second);
  }
  return out;
}

std::vector<Node> Walker::items(const Node& n, const std::string& path) {
  std::vector<Node> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) {
    error(n, path, fmt::format("must be a list, not {}", kind_name(n)));
    return out;
  }
  return n.items();
}

std::optional<std::string> Walker::str(const Node& n, const std::string& path, bool allow_empty) {
  if (n.IsNull() && allow_empty) return std::string();
  if (!n.IsScalar()) {
    error(n, path, fmt::format("must be a single value, not {}", kind_name(n)));
    return std::nullopt;
  }
  if (n.Scalar().empty() && !allow_empty) {
    error(n, path, "must not be empty");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<long long> Walker::integer(const Node& n, const std::string& path, long long lo,
                                         long long hi) {
  auto s = str(n, path);
  if (!s) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || v < lo || v > hi) {
    error(n, path, fmt::format("must be a whole number from {} to {}, not '{}'", lo, hi, shown(*s)));
    return std::nullopt;
  }
  return v;
}

std::optional<double> Walker::number(const Node& n, const std::string& path, double lo, double hi) {
  auto s = str(n, path);
  if (!s) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || !std::isfinite(v) || v < lo || v > hi) {
    error(n, path, fmt::format("must be a number from {} to {}, not '{}'", lo, hi, shown(*s)));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Walker::boolean(const Node& n, const std::string& path) {
  auto s = str(n, path);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "True" || *s == "TRUE" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "False" || *s == "FALSE" || *s == "no" || *s == "off") return false;
  error(n, path, fmt::format("must be true or false, not '{}'", shown(*s)));
  return std::nullopt;
}

std::optional<TimeNs> Walker::duration(const Node& n, const std::string& path, TimeNs min, TimeNs max) {
  auto s = str(n, path);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    error(n, path, d.error().detail);
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    error(n, path,
          min == 0 ? fmt::format("must be at most {}", format_duration(max))
                   : fmt::format("must be from {} to {}", format_duration(min), format_duration(max)));
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> Walker::str_list(const Node& n, const std::string& path,
                                                         bool scalar_ok) {
  if (scalar_ok && n.IsScalar()) {
    auto s = str(n, path);
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
  }
  if (!n.IsSequence() && !n.IsNull()) {
    error(n, path, fmt::format("must be a list of values, not {}", kind_name(n)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  std::size_t i = 0;
  for (const auto& item : items(n, path)) {
    auto s = str(item, fmt::format("{}[{}]", path, i++));
    if (s) out.push_back(std::move(*s));
    else good = false;
  }
  if (!good) return std::nullopt;
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> Walker::str_map(const Node& n,
                                                                                const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  bool good = true;
  if (!n.IsMap() && !n.IsNull()) {
    error(n, path, fmt::format("must be a map of keys, not {}", kind_name(n)));
    return std::nullopt;
  }
  for (auto& [k, v] : entries(n, path, {})) {
    auto s = str(v, path + "." + shown(k), true);
    if (s) out.emplace_back(k, std::move(*s));
    else good = false;
  }
  if (!good) return std::nullopt;
  return out;
}

std::unique_ptr<Doc> load(std::string_view text, Walker& w) {
  try {
    return parse(text);
  } catch (const YAML::Exception& e) {
    w.error(e.mark.line < 0 ? 0 : e.mark.line + 1, "", fmt::format("YAML: {}", e.msg));
  } catch (const std::exception& e) {
    w.error(0, "", fmt::format("YAML: {}", e.what()));
  }
  return nullptr;
}

std::optional<std::vector<std::pair<std::string, Node>>> file_sections(const Node& root, Walker& w,
                                                                       std::string_view expected) {
  if (root.IsNull()) return std::vector<std::pair<std::string, Node>>{};
  if (!root.IsMap()) {
    w.error(root, "", fmt::format("the file must be a map of keys ({})", expected));
    return std::nullopt;
  }
  return w.entries(root, "", {"listen", "db", "modules", "defaults", "targets", "alerts", "notifiers", "history",
                              "user", "peers", "usage", "guard", "relay"});
}

}  // namespace reach::config::yaml
