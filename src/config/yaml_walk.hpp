#pragma once
// Reading yaml-cpp nodes without its exceptions or its lenient conversions: each reader checks
// the node's shape and collects "source:LINE: path: message" errors instead of throwing, so a
// file is validated in one pass with every problem reported. Internal to config/ (watch, and the
// usage/guard/relay sections later).
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "config/watch_config.hpp"
#include "config/yaml_tree.hpp"

namespace reach::config::yaml {

// 1-based line of a node, 0 when it has none.
inline int line_of(const Node& n) { return n.line(); }

class Walker {
 public:
  explicit Walker(std::string source) : source_(std::move(source)) {}

  void error(int line, std::string path, std::string message);
  void error(const Node& at, std::string path, std::string message) {
    error(line_of(at), std::move(path), std::move(message));
  }
  bool ok() const { return errors_.empty(); }
  ConfigErrors take_errors();  // sorted by line, stable
  const std::string& source() const { return source_; }

  // The entries of a map, in file order. Unknown keys (when `known` is not empty) and repeated
  // keys are errors and are left out. Not a map: an error and nothing.
  std::vector<std::pair<std::string, Node>> entries(const Node& n, const std::string& path,
                                                          std::initializer_list<std::string_view> known);
  // The items of a sequence; a null node is an empty sequence.
  std::vector<Node> items(const Node& n, const std::string& path);

  // Scalars. Each returns nullopt after recording an error when the node does not fit.
  std::optional<std::string> str(const Node& n, const std::string& path, bool allow_empty = false);
  std::optional<long long> integer(const Node& n, const std::string& path, long long lo, long long hi);
  std::optional<double> number(const Node& n, const std::string& path, double lo, double hi);
  std::optional<bool> boolean(const Node& n, const std::string& path);
  // Prometheus duration; `min` is the smallest allowed value (0 to allow "0").
  std::optional<TimeNs> duration(const Node& n, const std::string& path, TimeNs min, TimeNs max);
  // A list of non-empty strings; a single scalar is taken as a list of one when `scalar_ok`.
  std::optional<std::vector<std::string>> str_list(const Node& n, const std::string& path,
                                                   bool scalar_ok = false);
  // A map of string to string, in file order.
  std::optional<std::vector<std::pair<std::string, std::string>>> str_map(const Node& n,
                                                                          const std::string& path);

 private:
  std::string source_;
  std::vector<ConfigError> errors_;
};

// Parses text into a node; a syntax error becomes one error with its line. yaml-cpp's
// exceptions end here.
// The tree must outlive every Node taken from it.
std::unique_ptr<Doc> load(std::string_view text, Walker& w);

// The top-level entries of a reach config file, in file order. One file may hold every daemon's
// sections (watch's keys, usage:, guard:, relay:); each parser reads its own and accepts the
// others' names, so the list of names lives here. A null root (an empty file) has no entries;
// any other non-map is an error naming `expected` ("relay:, user:, ...") and gives nullopt.
std::optional<std::vector<std::pair<std::string, Node>>> file_sections(const Node& root, Walker& w,
                                                                       std::string_view expected);

}  // namespace reach::config::yaml
