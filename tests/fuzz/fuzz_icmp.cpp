// Fuzzes ICMP parsing the way the receive path does: outer IP, ICMP header, quoted datagram,
// quoted ports, names and flags; plus the echo builder round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"

using namespace reach::packet;
using reach::Family;

namespace {

void inside(Bytes part, Bytes whole) {
  if (part.empty()) return;
  if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size())
    std::abort();
}

void icmp_message(Family f, Bytes msg) {
  const auto m = parse_icmp(msg);
  if (!m) return;
  inside(m->body, msg);
  (void)classify_icmp(f, m->type, m->code);
  if (icmp_error_name(f, m->type, m->code).empty()) std::abort();
  (void)icmp_error_flag(f, m->type, m->code);
  (void)echo_cookie(m->body);
  if (f == Family::v4) (void)icmp4_checksum_ok(msg);
  const auto q = parse_quoted(f, m->body);
  if (!q) return;
  if (q->ip.family != f) std::abort();
  inside(q->ip.payload, m->body);
  if (const auto p = parse_l4_ports(q->ip.payload); p && q->ip.payload.size() < 8) std::abort();
  if (const auto inner = parse_icmp(q->ip.payload)) (void)echo_cookie(inner->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  // As a full packet (raw socket view) and as a bare ICMP message (datagram socket view).
  if (const auto h = parse_ip(in)) icmp_message(h->family, h->payload);
  icmp_message(Family::v4, in);
  icmp_message(Family::v6, in);
  (void)parse_quoted(Family::v4, in);
  (void)parse_quoted(Family::v6, in);

  // Builder round trip with fuzzer-chosen fields.
  if (size >= 13) {
    const auto ident = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
    const auto seq = static_cast<std::uint16_t>((data[2] << 8) | data[3]);
    std::uint64_t cookie = 0;
    for (int i = 0; i < 8; ++i) cookie = (cookie << 8) | data[4 + i];
    const std::size_t payload = data[12];
    const Family f = (data[12] & 1) ? Family::v6 : Family::v4;
    const Buffer b = build_echo_request(f, ident, seq, payload, cookie);
    const auto m = parse_icmp(b);
    if (!m || m->ident != ident || m->seq != seq || m->body.size() != payload) std::abort();
    if (f == Family::v4 && !icmp4_checksum_ok(b)) std::abort();
    if (payload >= 8 && echo_cookie(m->body) != cookie) std::abort();
  }
  return 0;
}
