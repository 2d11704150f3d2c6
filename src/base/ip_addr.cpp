#include "base/ip_addr.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace reach {

IpAddr IpAddr::v4(std::uint32_t host_order) {
  IpAddr a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddr IpAddr::from_bytes(Family f, const std::uint8_t* bytes) {
  IpAddr a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), bytes, f == Family::v4 ? 4 : 16);
  return a;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::v6;
    return a;
  }
  return std::nullopt;
}

std::uint32_t IpAddr::v4_host_order() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

bool IpAddr::needs_zone() const {
  if (is_v4()) return false;
  if (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80) return true;
  return bytes_[0] == 0xff && ((bytes_[1] & 0x0f) == 1 || (bytes_[1] & 0x0f) == 2);
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_ == Family::v4 ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

bool IpAddr::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

}  // namespace reach
