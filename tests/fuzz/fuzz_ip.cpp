// Fuzzes the IPv4/IPv6 readers and checks the invariants callers rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/ip.hpp"

using namespace reach::packet;

namespace {

// Payload must be a view inside the input, right after the header, within the length claim.
void check(const std::optional<IpHeader>& h, Bytes in) {
  if (!h) return;
  const std::size_t off = static_cast<std::size_t>(h->payload.data() - in.data());
  if (off != h->header_len || off + h->payload.size() > in.size()) std::abort();
  if (h->header_len + h->payload.size() > h->total_len) std::abort();
  if (h->family == reach::Family::v4 && (h->header_len < 20 || h->header_len > 60)) std::abort();
  if (h->family == reach::Family::v6 && h->header_len < 40) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  const auto any = parse_ip(in);
  check(any, in);
  const auto v4 = parse_ipv4(in);
  check(v4, in);
  const auto v6 = parse_ipv6(in);
  check(v6, in);
  if (any.has_value() != (v4.has_value() || v6.has_value())) std::abort();
  return 0;
}
