#pragma once
// Name resolution (getaddrinfo) and source address selection.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/address.hpp"
#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::sys {

// Addresses for a parsed target, in resolver order. `family` restricts to one family when set.
// Every link-local result gets its zone by zone_for(); `device` is the -I interface, if any.
Result<std::vector<IpAddr>> resolve(const AddressText& target, std::optional<Family> family,
                                    const std::string& device = {});
// The same for a target as typed (parse_address, AddressForm::host).
Result<std::vector<IpAddr>> resolve(const std::string& target, std::optional<Family> family,
                                    const std::string& device = {});
// The one rule for zones: a zone given ("eth0" or an index) must name an interface ("no interface
// eth9"); an address that needs a zone and has none takes `device` when set, else the only
// interface with an IPv6 link-local address; with several, the error names them to choose from.
// Other addresses come back as they are.
Result<IpAddr> zone_for(const IpAddr& addr, const std::string& zone, const std::string& device);
// The address as a target to hand on: with "%interface" when it has a zone.
std::string address_text(const IpAddr& addr);
// TCP service names of /etc/services (getservent), by port.
std::unordered_map<std::uint16_t, std::string> tcp_service_names();
// The source address the kernel would use toward `dst` (a connected UDP socket; sends nothing).
Result<IpAddr> source_address_for(const IpAddr& dst, const std::string& device);

}  // namespace reach::sys
