// Fuzzes the netlink sock_diag readers: message splitting, attributes, inet/unix diag bodies,
// error/done payloads, rtnetlink link messages and /proc/net lines, with invariants on what they return.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "packet/netlink.hpp"
#include "packet/rtnl_link.hpp"

using namespace reach::packet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  if (auto msgs = nl::split(in)) {
    std::size_t total = 0;
    for (const auto& m : *msgs) {
      if (m.payload.data() < data || m.payload.data() + m.payload.size() > data + size) std::abort();
      total += nl::kHeaderLen + m.payload.size();
      if (auto d = nl::parse_inet_diag(m.payload)) {
        if (d->src.family() != d->dst.family()) std::abort();
        (void)d->src.to_string();
      }
      if (auto u = nl::parse_unix_diag(m.payload)) {
        if (u->name && u->name->size() > m.payload.size()) std::abort();
      }
      if (auto e = nl::parse_error(m.payload)) {
        if (*e < 0 || *e > 4095) std::abort();
      }
      (void)nl::parse_done(m.payload);
      if (auto l = nl::parse_link(m.payload)) {
        if (l->name.size() > m.payload.size()) std::abort();
        if (l->stats64 && !l->rx_bytes) std::abort();
      }
    }
    if (total > size) std::abort();
  }
  if (auto attrs = nl::parse_attrs(in)) {
    for (const auto& a : *attrs)
      if (a.value.data() < data || a.value.data() + a.value.size() > data + size) std::abort();
  }
  (void)nl::parse_inet_diag(in);
  (void)nl::parse_unix_diag(in);
  (void)nl::parse_link(in);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)nl::parse_proc_net_line(text, reach::Family::v4);
  (void)nl::parse_proc_net_line(text, reach::Family::v6);
  return 0;
}
