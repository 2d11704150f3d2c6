// Fuzzes the UDP reader; builder round trip with a fuzzer-chosen payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/checksum.hpp"
#include "packet/ip.hpp"
#include "packet/udp.hpp"

using namespace reach::packet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  if (const auto u = parse_udp(in)) {
    if (u->length < 8 || u->payload.data() != data + 8 || 8 + u->payload.size() > size ||
        8 + u->payload.size() > u->length)
      std::abort();
  }

  if (size >= 1) {
    const auto f = (data[0] & 1) ? reach::Family::v6 : reach::Family::v4;
    const std::uint8_t zeros[16] = {};
    const auto src = reach::IpAddr::from_bytes(f, zeros);
    const auto dst = reach::IpAddr::from_bytes(f, zeros);
    const Bytes payload = in.subspan(1);
    const Buffer b = build_udp(src, dst, 53, 33434, payload);
    const auto u = parse_udp(b);
    if (payload.size() + 8 <= 0xffff) {
      if (!u || u->payload.size() != payload.size() || u->checksum == 0) std::abort();
      const auto len = static_cast<std::uint32_t>(b.size());
      if (checksum(b, pseudo_header_sum(src, dst, kProtoUdp, len)) != 0) std::abort();
    }
  }
  return 0;
}
