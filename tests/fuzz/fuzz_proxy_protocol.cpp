// The PROXY protocol parser on arbitrary bytes: never reads past the input, never claims more
// bytes than it was given, and what it parses with endpoints builds back to a header that
// parses to the same endpoints.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/proxy_protocol.hpp"

using namespace reach::packet::proxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Parsed p = parse({data, size});
  if (p.status != Parsed::Status::complete) return 0;
  if (p.header.length == 0 || p.header.length > size) std::abort();
  if (!p.header.has_endpoints) return 0;
  const Endpoints& e = p.header.endpoints;
  if (e.src.family() != e.dst.family()) std::abort();
  for (const auto& wire : {build_v1(e), build_v2(e, p.header.tlvs)}) {
    const Parsed q = parse(wire);
    if (q.status != Parsed::Status::complete || !q.header.has_endpoints || !(q.header.endpoints.src == e.src) ||
        !(q.header.endpoints.dst == e.dst) || q.header.endpoints.src_port != e.src_port ||
        q.header.endpoints.dst_port != e.dst_port || q.header.length != wire.size())
      std::abort();
  }
  return 0;
}
