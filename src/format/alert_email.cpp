// RFC 5322 / MIME text of an alert mail (see alert_email.hpp).
#include "format/alert_email.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string one_line(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '\r' && c != '\n') out += c;
  return out;
}

bool plain_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Lines of `text` (split on \n, a \r before it dropped).
std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    if (nl == std::string_view::npos) return out;
    text.remove_prefix(nl + 1);
  }
}

std::string body_text(const AlertInput& a, const EmailOptions& o) {
  const auto& e = a.event;
  bool firing = e.kind != model::WatchEvent::Kind::resolved;
  std::string b = fmt::format("Alert {} is {} for {}.\n\n", e.alert, firing ? "FIRING" : "RESOLVED", e.target);
  b += fmt::format("Target:  {}\n", e.target);
  for (const auto& [k, v] : a.labels) b += fmt::format("{:<8} {}\n", k + ":", v);
  b += fmt::format("State:   {} -> {}\n", watch_state_word(e.from), watch_state_word(e.to));
  if (e.since_wall > 0) b += fmt::format("Since:   {}\n", rfc3339_nano(e.since_wall));
  b += fmt::format("Time:    {}\n", rfc3339_nano(e.wall));
  if (!e.reason.empty()) b += fmt::format("Reason:  {}\n", e.reason);
  if (auto url = alert_generator_url(o.external_url, e.target); !url.empty()) b += fmt::format("Details: {}\n", url);
  b += fmt::format("\n-- \nreach watch{}\n", o.hostname.empty() ? "" : " on " + o.hostname);
  return b;
}

}  // namespace

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Plain when short ASCII; else encoded words of at most 39 bytes (52 base64 characters, 64 with
// the =?UTF-8?B?...?= frame, 73 after "Subject: "), cut between UTF-8 characters, one per folded
// line, so no line passes RFC 5322's 78.
std::string rfc2047_subject(std::string_view utf8) {
  std::string s = one_line(utf8);
  if (plain_ascii(s) && s.size() <= 68) return s;  // 68 + "Subject: " stays within 78
  std::string out;
  std::string_view rest = s;
  while (!rest.empty()) {
    std::size_t n = std::min<std::size_t>(39, rest.size());
    while (n < rest.size() && n > 0 && (static_cast<unsigned char>(rest[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(39, rest.size());  // not UTF-8: cut anyway
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(rest.substr(0, n)) + "?=";
    rest.remove_prefix(n);
  }
  return out;
}

std::string quoted_printable(std::string_view utf8) {
  std::string out;
  auto all = lines(utf8);
  for (std::size_t li = 0; li < all.size(); ++li) {
    std::string_view l = all[li];
    std::size_t col = 0;
    for (std::size_t i = 0; i < l.size(); ++i) {
      auto c = static_cast<unsigned char>(l[i]);
      bool last = i + 1 == l.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) piece = std::string(1, char(c));
      else piece = fmt::format("={:02X}", c);
      if (col + piece.size() > 75) {  // soft break: "=" ends the line at 76
        out += "=\r\n";
        col = 0;
      }
      out += piece;
      col += piece.size();
    }
    if (li + 1 < all.size()) out += kCrlf;
  }
  return out;
}

std::string alert_email_subject(const AlertInput& a) {
  const auto& e = a.event;
  bool firing = e.kind != model::WatchEvent::Kind::resolved;
  std::string what = firing ? fmt::format("{} is {}", e.target, watch_state_word(e.to))
                            : fmt::format("{} is up again", e.target);
  return fmt::format("[reach] {} {}: {}", firing ? "FIRING" : "RESOLVED", e.alert, what);
}

std::string alert_email(const AlertInput& a, const EmailOptions& o, std::string_view message_id_token) {
  std::vector<std::string> to;
  for (const auto& t : o.to) to.push_back(one_line(t));
  std::string body = body_text(a, o);
  auto body_lines = lines(body);
  bool qp = !std::all_of(body.begin(), body.end(), [](char c) { return c == '\n' || (c >= 0x20 && c < 0x7f); }) ||
            std::any_of(body_lines.begin(), body_lines.end(), [](std::string_view l) { return l.size() > 76; });
  std::string m;
  auto header = [&m](std::string_view name, std::string_view value) {
    m += fmt::format("{}: {}\r\n", name, value);
  };
  header("Date", rfc5322_date(a.event.wall));
  header("From", one_line(o.from));
  header("To", fmt::format("{}", fmt::join(to, ", ")));
  header("Subject", rfc2047_subject(alert_email_subject(a)));
  header("Message-ID", fmt::format("<{}@{}>", one_line(message_id_token),
                                    o.hostname.empty() ? std::string("reach.invalid") : one_line(o.hostname)));
  header("MIME-Version", "1.0");
  header("Content-Type", "text/plain; charset=utf-8");
  header("Content-Transfer-Encoding", qp ? "quoted-printable" : "7bit");
  header("Auto-Submitted", "auto-generated");
  m += kCrlf;
  if (qp) {
    m += quoted_printable(body);
  } else {
    for (std::size_t i = 0; i < body_lines.size(); ++i) {
      m += body_lines[i];
      if (i + 1 < body_lines.size()) m += kCrlf;
    }
  }
  return m;
}

}  // namespace reach::format
