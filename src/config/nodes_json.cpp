#include "config/nodes_json.hpp"

#include "base/address.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config/endpoint.hpp"

namespace reach::config {
namespace {

using nlohmann::json;

tl::unexpected<Error> bad(const std::string& source, std::string why) {
  return fail("node list", source, 0, std::move(why));
}

std::optional<std::uint16_t> port_of(const json& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= 65535)
    return static_cast<std::uint16_t>(v.get<std::uint64_t>());
  if (v.is_string()) return parse_port(v.get<std::string>());
  return std::nullopt;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return {};
}

Result<Node> make_node(const std::string& source, std::size_t i, const json* addr, const json* port,
                       std::string name, bool enabled) {
  if (!addr || !addr->is_string())
    return bad(source, fmt::format("node {}: no address string", i));
  auto parsed = parse_address(addr->get<std::string>(), AddressForm::host);
  if (!parsed) return bad(source, fmt::format("node {}: {}", i, parsed.error().detail));
  std::string a = parsed->host_and_zone();
  if (!port) return bad(source, fmt::format("node {} ({}): no port", i, a));
  auto p = port_of(*port);
  if (!p) return bad(source, fmt::format("node {} ({}): port {} is not a number from 1 to 65535", i, a, port->dump()));
  return Node{a, *p, std::move(name), enabled};
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

Result<std::vector<Node>> known_shape(const json& doc, const std::string& source) {
  const json* nodes = member(doc, "nodes");
  bool octavia = false;
  if (!nodes) {
    nodes = member(doc, "members");
    octavia = true;
  }
  if (!nodes || !nodes->is_array())
    return bad(source,
               "unknown shape: expected {\"nodes\":[...]} (Rackspace) or {\"members\":[...]} (Octavia); "
               "use --select address=/pointer,port=/pointer for another");
  std::vector<Node> out;
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const json& n = (*nodes)[i];
    if (!n.is_object()) return bad(source, fmt::format("node {} is not an object", i));
    std::string name;
    if (const json* v = member(n, "name"); v) name = scalar_text(*v);
    if (name.empty())
      if (const json* v = member(n, "id"); v) name = scalar_text(*v);
    bool enabled = true;
    if (octavia) {
      if (const json* v = member(n, "admin_state_up"); v && v->is_boolean()) enabled = v->get<bool>();
    } else if (const json* v = member(n, "condition"); v && v->is_string()) {
      enabled = v->get<std::string>() != "DISABLED";
    }
    auto node = make_node(source, i, member(n, "address"), member(n, octavia ? "protocol_port" : "port"),
                          std::move(name), enabled);
    if (!node) return tl::unexpected(node.error());
    out.push_back(std::move(*node));
  }
  return out;
}

const json* at_pointer(const json& doc, const std::string& ptr) {
  json::json_pointer p(ptr);  // syntax checked by parse_select
  return doc.contains(p) ? &doc.at(p) : nullptr;
}

Result<std::vector<Node>> selected(const json& doc, const std::string& source, const Select& s) {
  const json* list = nullptr;
  if (s.has_list) {
    list = at_pointer(doc, s.list);
    if (!list) return bad(source, fmt::format("--select list={}: nothing there", s.list));
  } else if (doc.is_array()) {
    list = &doc;
  } else if (doc.is_object()) {
    for (const auto& [k, v] : doc.items())
      if (v.is_array()) {
        if (list) return bad(source, "several arrays in the document: say which with --select list=/pointer");
        list = &v;
      }
  }
  if (!list || !list->is_array()) return bad(source, "no list of nodes found: say where with --select list=/pointer");
  std::vector<Node> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& n = (*list)[i];
    std::string name;
    if (!s.name.empty())
      if (const json* v = at_pointer(n, s.name); v) name = scalar_text(*v);
    auto node = make_node(source, i, at_pointer(n, s.address), at_pointer(n, s.port), std::move(name), true);
    if (!node) return tl::unexpected(node.error());
    out.push_back(std::move(*node));
  }
  return out;
}

}  // namespace

Result<Select> parse_select(std::string_view text) {
  Select s;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail("--select", std::string(text), 0, fmt::format("'{}' is not key=/pointer", item));
    std::string key(item.substr(0, eq)), ptr(item.substr(eq + 1));
    try {
      json::json_pointer check(ptr);
    } catch (const json::exception& e) {
      return fail("--select", std::string(text), 0, fmt::format("{}: bad JSON pointer '{}'", key, ptr));
    }
    if (key == "address") s.address = ptr;
    else if (key == "port") s.port = ptr;
    else if (key == "name") s.name = ptr;
    else if (key == "list") { s.list = ptr; s.has_list = true; }
    else return fail("--select", std::string(text), 0, fmt::format("unknown key '{}' (list, address, port, name)", key));
  }
  if (s.address.empty() || s.port.empty())
    return fail("--select", std::string(text), 0, "needs both address=/pointer and port=/pointer");
  return s;
}

Result<std::vector<Node>> parse_nodes_json(std::string_view text, const std::string& source,
                                           const std::optional<Select>& select) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return bad(source, fmt::format("malformed JSON at byte {}", e.byte));
  } catch (const json::exception& e) {
    return bad(source, "malformed JSON");
  }
  try {
    return select ? selected(doc, source, *select) : known_shape(doc, source);
  } catch (const json::exception& e) {
    return bad(source, e.what());
  }
}

}  // namespace reach::config
