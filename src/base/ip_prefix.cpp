#include "base/ip_prefix.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace reach {
namespace {

std::uint8_t byte_mask(int len, std::size_t i) {
  const int keep = std::clamp(len - static_cast<int>(i) * 8, 0, 8);
  return keep == 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - keep));
}

IpPrefix masked(const IpAddr& a, int len) {
  len = std::clamp(len, 0, static_cast<int>(a.size() * 8));
  std::uint8_t bytes[16] = {};
  for (std::size_t i = 0; i < a.size(); ++i) bytes[i] = a.data()[i] & byte_mask(len, i);
  return IpPrefix{IpAddr::from_bytes(a.family(), bytes), len};
}

}  // namespace

IpAddr unmap_v4(const IpAddr& a) {
  static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.is_v4() || !std::equal(mapped, mapped + 12, a.data())) return a;
  return IpAddr::from_bytes(Family::v4, a.data() + 12);
}

bool IpPrefix::contains(const IpAddr& a0) const {
  const IpAddr a = net.is_v4() ? unmap_v4(a0) : a0;
  if (a.family() != net.family()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a.data()[i] & byte_mask(len, i)) != net.data()[i]) return false;
  return true;
}

std::string IpPrefix::to_string() const { return net.to_string() + "/" + std::to_string(len); }

IpPrefix prefix_of(const IpAddr& a, int len) { return masked(unmap_v4(a), len); }

std::optional<IpPrefix> parse_prefix(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int len = static_cast<int>(addr->size() * 8);
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n < 0 || n > len) return std::nullopt;
    len = n;
  }
  IpPrefix p = masked(*addr, len);
  if (!(p.net == *addr)) return std::nullopt;  // host bits set beyond the length
  p.net = p.net.with_scope(0);
  // ::ffff:198.18.5.0/120 is 198.18.5.0/24: an allow-list or filter written in the mapped form
  // must hold the IPv4 sources it names (guard banned an allowed ::ffff: address's IPv4 form).
  if (!p.net.is_v4() && p.len >= 96 && unmap_v4(p.net).is_v4()) return IpPrefix{unmap_v4(p.net), p.len - 96};
  return p;
}

std::string prefix_error(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  const int width = addr ? static_cast<int>(addr->size() * 8) : 0;
  int n = -1;
  if (addr && slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n < 0 || n > width)
      return quoted + ": the length after '/' must be 0 to " + std::to_string(width);
    if (!(masked(*addr, n).net == *addr))
      return quoted + " has host bits set: the prefix is " + masked(*addr, n).to_string();
  }
  return quoted + " is not a prefix like 198.18.0.0/15 or 2001:db8::/32";
}

}  // namespace reach
