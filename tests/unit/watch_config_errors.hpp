#pragma once
// What --validate prints for a watch YAML text read as file "w.yml": every error with its line,
// or "OK".
#include <string>

#include "config/watch_config.hpp"

namespace reach::config {

inline std::string errors_of(const std::string& text) {
  auto c = parse_watch_config(text, "w.yml");
  return c ? std::string("OK") : c.error().message();
}

}  // namespace reach::config
