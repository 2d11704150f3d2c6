// Fuzzes the TCP reader, the quoted-ports reader and the flag printer; SYN builder round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/tcp.hpp"

using namespace reach::packet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  if (const auto t = parse_tcp(in)) {
    if (t->header_len < 20 || t->header_len > 60 || t->header_len > size) std::abort();
    if (t->payload.data() != data + t->header_len || t->header_len + t->payload.size() != size)
      std::abort();
    if (tcp_flags_string(t->flags).empty()) std::abort();
  }
  if (const auto p = parse_l4_ports(in); p.has_value() != (size >= 8)) std::abort();

  if (size >= 16) {
    // Addresses from the input; family from one bit.
    const bool v6 = data[0] & 1;
    const std::uint8_t* a = data + 1;
    if (!v6 || size >= 1 + 32 + 6) {
      const auto f = v6 ? reach::Family::v6 : reach::Family::v4;
      const auto src = reach::IpAddr::from_bytes(f, a);
      const auto dst = reach::IpAddr::from_bytes(f, a + src.size());
      const std::uint8_t* r = a + 2 * src.size();
      const auto sport = static_cast<std::uint16_t>((r[0] << 8) | r[1]);
      const auto dport = static_cast<std::uint16_t>((r[2] << 8) | r[3]);
      const std::size_t payload = r[4];
      const Buffer b = build_tcp_syn(src, dst, sport, dport, 0x12345678, 1024, payload);
      const auto t = parse_tcp(b);
      if (!t || t->sport != sport || t->dport != dport || t->flags != kTcpSyn ||
          t->payload.size() != payload || !tcp_checksum_ok(src, dst, b))
        std::abort();
    }
  }
  return 0;
}
