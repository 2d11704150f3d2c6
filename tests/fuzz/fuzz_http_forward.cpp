// relay --http's request-head rewriting on arbitrary client bytes, fed in two pieces split where
// the first byte says: no crash, bounded output, and the same output for either split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/http_forward.hpp"

using namespace reach::packet;

namespace {
Buffer run(const std::uint8_t* d, std::size_t n, std::size_t cut, HttpForward::Status& last) {
  HttpForward f(ForwardFor{*reach::IpAddr::parse("2001:db8::5"), 41234, "http", (n & 1) != 0}, 512);
  Buffer out;
  last = f.feed({d, cut}, out);
  if (last == HttpForward::Status::ok) last = f.feed({d + cut, n - cut}, out);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t cut = data[0] % size;
  HttpForward::Status a, b;
  const Buffer one = run(data + 1, size - 1, 0, a);
  const Buffer two = run(data + 1, size - 1, cut > size - 1 ? size - 1 : cut, b);
  // Each head grows by at most the three added headers; a head is at least 16 bytes.
  if (one.size() > 2 * size + 512 * (size / 16 + 1)) std::abort();
  if (a == HttpForward::Status::ok && b == HttpForward::Status::ok && one != two) std::abort();
  return 0;
}
