#pragma once
// Endpoints as the user writes them: `host:port`, `[v6addr]:port`, `http(s)://...` URLs, and
// `--file` lines (`host port [name]`, `#` comments).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "model/check.hpp"

namespace reach::config {

using CheckKind = model::CheckKind;

struct Endpoint {
  std::string name;           // label in reports; the text as given unless named
  std::string host;           // name or address literal (no brackets)
  std::uint16_t port = 0;
  CheckKind kind = CheckKind::tcp;
  std::string url;            // http/https: the URL to fetch
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// A decimal port 1..65535 (no sign, no spaces), nullopt otherwise.
std::optional<std::uint16_t> parse_port(std::string_view text);
// A host name (letters, digits, '-', '_', '.') or an IP address literal.
bool valid_host(std::string_view host);

// One command-line endpoint. Errors say what is wrong with `text`.
Result<Endpoint> parse_endpoint(std::string_view text);

// Every endpoint of a --file; `source` names the file in errors ("hosts.txt line 3: ...").
// A line is `host port [name]`, or `host:port|URL [name]`; `#` starts a comment.
Result<std::vector<Endpoint>> parse_endpoint_file(std::string_view text, const std::string& source);

}  // namespace reach::config
