// Fuzzes ICMP extension parsing (RFC 4884/4950/5837) on raw bytes, and on structures the builder
// makes from fuzzer-chosen objects (random bytes almost never carry a valid extension checksum,
// so the second half is what reaches the object parsers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/icmp_ext.hpp"

using namespace reach::packet;
using reach::Family;

namespace {

void check(Family f, Bytes msg) {
  const auto e = parse_icmp_extensions(f, msg);
  if (!e) return;
  if (msg.size() < 8 || e->quote_len > msg.size() - 8) std::abort();
  for (const auto& l : e->mpls)
    if (l.label > 0xfffff || l.tc > 7) std::abort();
  for (const auto& i : e->interfaces)
    if (i.name.size() > 63) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  check(Family::v4, in);
  check(Family::v6, in);
  if (size < 4) return 0;

  // Structured: header byte picks family/compliance, then objects of fuzzer bytes.
  const Family f = (data[0] & 1) ? Family::v6 : Family::v4;
  const bool set_length = (data[0] & 2) != 0;
  const std::size_t qlen = data[1];
  Bytes rest = in.subspan(2);
  const Bytes quote = rest.subspan(0, std::min(qlen, rest.size()));
  rest = rest.subspan(quote.size());
  std::vector<ExtensionObject> objs;
  std::size_t labels = 0;
  while (rest.size() >= 3 && objs.size() < 8) {
    const std::size_t n = std::min<std::size_t>(rest[2], rest.size() - 3);
    ExtensionObject o{rest[0], rest[1], Buffer(rest.begin() + 3, rest.begin() + 3 + static_cast<std::ptrdiff_t>(n))};
    if (o.class_num == kExtClassMpls && o.c_type == 1) labels += n / 4;
    objs.push_back(std::move(o));
    rest = rest.subspan(3 + n);
  }
  const std::uint8_t type = f == Family::v4 ? 11 : 3;
  const Buffer msg = build_icmp_error_with_extensions(f, type, 0, quote, objs, set_length);
  const auto e = parse_icmp_extensions(f, msg);
  if (!e) std::abort();
  if (!objs.empty() && set_length && quote.size() <= 1000 && !e->has_extensions) std::abort();
  if (!objs.empty() && e->has_extensions && e->mpls.size() > labels) std::abort();
  return 0;
}
