#pragma once
// --banners: what to send to a service that says nothing first, and the printable first line
// of what a service said (never raw bytes on a terminal).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace reach::engine {

// The probe sent when no greeting came: an HTTP/1.0 HEAD (HTTP servers answer it; others
// usually close or complain, which is a banner too).
inline constexpr std::string_view kHttpHead = "HEAD / HTTP/1.0\r\n\r\n";
// At most this many bytes are read and shown.
inline constexpr std::size_t kBannerMax = 160;

// The first line of `data` (up to CR/LF), control and non-ASCII bytes as \xNN, blanks trimmed,
// at most kBannerMax input bytes.
std::string clean_banner(std::span<const std::uint8_t> data);

}  // namespace reach::engine
