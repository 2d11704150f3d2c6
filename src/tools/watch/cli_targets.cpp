#include "tools/watch/cli_targets.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "base/address.hpp"
#include "tools/watch/module_spec.hpp"

namespace reach::tools::watch {

namespace {

// `text` (an address with or without a port) as base/address writes it: the literal in its
// canonical form (RFC 5952 §4), the zone kept; as typed when it does not parse.
std::string address_name(std::string_view text, AddressForm form, bool bracket_v6) {
  auto a = parse_address(text, form);
  if (!a && form == AddressForm::host_port) a = parse_address(text, AddressForm::host);  // no port
  if (!a) return std::string(text);
  std::string host = a->literal ? a->literal->to_string() : a->host;
  if (!a->zone.empty()) host += "%" + a->zone;
  return join_host_port(host, a->port, bracket_v6);
}

// The characters a target name may hold (config/watch_config), the rest '_'.
std::string sanitized(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  std::string n;
  for (char c : text.substr(0, 120)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-' ||
                    c == '[' || c == ']';
    n += ok ? c : '_';
  }
  return n.empty() ? "target" : n;
}

}  // namespace

std::string target_name(const std::string& kind, const std::string& rest) {
  if (kind == "icmp") return sanitized(address_name(rest, AddressForm::host, false));
  if (kind == "tcp" || kind == "syn" || kind == "udp") return sanitized(address_name(rest, AddressForm::host_port, true));
  // A URL's authority ends at its path, query or fragment; a DNS server's at the name.
  const bool url = kind == "http" || kind == "https";
  const std::size_t end = rest.find_first_of(url ? "/?#" : "/");
  const std::string where = rest.substr(0, end);
  const std::string tail = end == std::string::npos ? "" : rest.substr(end);
  const std::string addr = address_name(where, url ? AddressForm::url : AddressForm::host_port, true);
  return sanitized(addr + tail);
}

// Command-line targets become the same YAML a config file holds (JSON is YAML), so they get
// exactly the file's validation and defaults.
Result<std::string> targets_yaml(const std::vector<std::string>& targets) {
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, int> seen;
  for (const std::string& t : targets) {
    nlohmann::json j;
    auto scheme = t.find("://");
    const std::string kind = scheme == std::string::npos ? "icmp" : t.substr(0, scheme);
    const std::string rest = scheme == std::string::npos ? t : t.substr(scheme + 3);
    if (kind == "icmp") {
      j = {{"probe", "icmp"}, {"host", rest}};
    } else if (kind == "tcp" || kind == "syn" || kind == "udp") {
      auto hp = split_host_port(rest);
      if (!hp || hp->second == 0) return fail("target", t, 0, fmt::format("want {}://HOST:PORT", kind));
      j = {{"probe", kind}, {"host", hp->first}, {"port", hp->second}};
    } else if (kind == "http" || kind == "https") {
      j = {{"probe", "http"}, {"url", t}};
    } else if (kind == "dns") {
      auto slash = rest.find('/');
      if (slash == std::string::npos || slash + 1 == rest.size())
        return fail("target", t, 0, "want dns://SERVER[:PORT]/NAME[?type=AAAA]");
      std::string qname = rest.substr(slash + 1), type = "A";
      if (auto q = qname.find("?type="); q != std::string::npos) {
        type = qname.substr(q + 6);
        qname = qname.substr(0, q);
      }
      j = {{"probe", "dns"}, {"host", rest.substr(0, slash)}, {"dns", {{"name", qname}, {"type", type}}}};
    } else {
      return fail("target", t, 0, "unknown scheme (HOST for icmp, tcp://, syn://, udp://, http://, https://, dns://)");
    }
    std::string name = target_name(kind, rest);
    if (int n = ++seen[name]; n > 1) name += fmt::format("_{}", n);
    j["name"] = name;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"targets", list}}.dump();
}

}  // namespace reach::tools::watch
