#pragma once
// An IPv4 or IPv6 address as a plain value (network byte order bytes), with the interface index
// of its zone (sin6_scope_id) for link-local IPv6. The zone says where to send, not who the
// address is: == and < ignore it, so a reply from fe80::1 matches the target fe80::1%eth0.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reach {

enum class Family : std::uint8_t { v4, v6 };

class IpAddr {
 public:
  IpAddr() = default;
  static IpAddr v4(std::uint32_t host_order);
  static IpAddr from_bytes(Family f, const std::uint8_t* bytes);  // 4 or 16 bytes
  static std::optional<IpAddr> parse(std::string_view text);       // numeric only, no DNS

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return family_ == Family::v4 ? 4 : 16; }
  std::uint32_t v4_host_order() const;
  std::string to_string() const;  // without the zone
  // The interface index of the zone, 0 for none.
  std::uint32_t scope() const { return scope_; }
  IpAddr with_scope(std::uint32_t index) const {
    IpAddr a = *this;
    a.scope_ = index;
    return a;
  }
  // fe80::/10 and link- or interface-local multicast: meaningless without an interface.
  bool needs_zone() const;
  // 0.0.0.0 or :: (a listener's peer, "any").
  bool is_unspecified() const;

  friend bool operator==(const IpAddr& a, const IpAddr& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator<(const IpAddr& a, const IpAddr& b) {
    return a.family_ != b.family_ ? a.family_ < b.family_ : a.bytes_ < b.bytes_;
  }

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
  std::uint32_t scope_ = 0;
};

}  // namespace reach
