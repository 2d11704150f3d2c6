#pragma once
// Name resolution (getaddrinfo) and source address selection.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::sys {

// Addresses for `host`, in resolver order. `family` restricts to one family when set.
Result<std::vector<IpAddr>> resolve(const std::string& host, std::optional<Family> family);
// TCP service names of /etc/services (getservent), by port.
std::unordered_map<std::uint16_t, std::string> tcp_service_names();
// The source address the kernel would use toward `dst` (a connected UDP socket; sends nothing).
Result<IpAddr> source_address_for(const IpAddr& dst, const std::string& device);

}  // namespace reach::sys
