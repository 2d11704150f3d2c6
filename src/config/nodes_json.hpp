#pragma once
// The node lists load balancer APIs return: Rackspace Cloud Load Balancers
// ({"nodes":[{"address","port","condition"}]}), OpenStack Octavia
// ({"members":[{"address","protocol_port","admin_state_up"}]}), or any other shape with
// JSON pointers chosen by --select.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace reach::config {

struct Node {
  std::string address;
  std::uint16_t port = 0;
  std::string name;       // the API's name or id for the node, may be empty
  bool enabled = true;    // condition ENABLED/DRAINING, admin_state_up true
  friend bool operator==(const Node&, const Node&) = default;
};

// --select list=/ptr,address=/ptr,port=/ptr[,name=/ptr]: address and port are relative to one
// element of the list; list defaults to the document (an array) or its only array member.
struct Select {
  std::string list, address, port, name;
  bool has_list = false;
};

Result<Select> parse_select(std::string_view text);

// `source` names the file or URL in errors. Recognises the two shapes above unless `select`.
Result<std::vector<Node>> parse_nodes_json(std::string_view text, const std::string& source,
                                           const std::optional<Select>& select);

}  // namespace reach::config
