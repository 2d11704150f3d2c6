#include "config/mrtg_output.hpp"

#include <charconv>

#include "base/text.hpp"

namespace reach::config {
namespace {

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

Result<std::uint64_t> counter(std::string_view raw, int line, const char* what) {
  auto bad = [&](const std::string& why) {
    return fail("mrtg output", "", 0, "line " + std::to_string(line) + " (" + what + "): " + why);
  };
  std::string_view s = trim(raw);
  if (s.empty()) return bad("empty, expected a counter");
  if (s == "UNKNOWN") return bad("the script said UNKNOWN");
  if (s.front() == '+') s.remove_prefix(1);
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(s.substr(dot + 1))))
    return bad("expected an unsigned decimal counter, got \"" + printable(trim(raw).substr(0, 40)) + "\"");
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), v);
  if (ec != std::errc{} || p != whole.data() + whole.size()) return bad("counter larger than 2^64-1");
  return v;
}

}  // namespace

Result<MrtgReading> parse_mrtg_output(std::string_view text) {
  std::string_view lines[4];
  std::size_t n = 0;
  while (n < 4 && !text.empty()) {
    const std::size_t nl = text.find('\n');
    lines[n++] = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  if (n < 2) return fail("mrtg output", "", 0, n == 0 ? "no output" : "line 2 (out): missing");
  auto in = counter(lines[0], 1, "in");
  if (!in) return tl::unexpected(in.error());
  auto out = counter(lines[1], 2, "out");
  if (!out) return tl::unexpected(out.error());
  return MrtgReading{*in, *out, printable(trim(lines[2])), printable(trim(lines[3]))};
}

}  // namespace reach::config
