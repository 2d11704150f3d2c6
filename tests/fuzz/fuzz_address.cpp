// Typed addresses in every form: any bytes give an address or an error, never a crash, and what
// comes back parses again to the same parts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto form : {reach::AddressForm::host, reach::AddressForm::host_port, reach::AddressForm::url}) {
    auto a = reach::parse_address(text, form);
    if (!a) continue;
    if (a->host.empty() || (form == reach::AddressForm::host_port && !a->port)) __builtin_trap();
    if (!a->zone.empty() && (!a->literal || a->literal->is_v4())) __builtin_trap();
    auto again = reach::parse_address(a->host_and_zone(), reach::AddressForm::host);
    if (!again || again->host != a->host || again->zone != a->zone) __builtin_trap();
  }
  return 0;
}
