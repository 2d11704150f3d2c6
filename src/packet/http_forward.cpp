#include "packet/http_forward.hpp"

#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip_prefix.hpp"

namespace reach::packet {

std::string forwarded_node(const IpAddr& a0, std::uint16_t port) {
  const IpAddr a = unmap_v4(a0);
  const std::string host = a.is_v4() ? a.to_string() : "[" + a.to_string() + "]";
  return "for=\"" + host + ":" + std::to_string(port) + "\"";
}

namespace {

enum class Pause : std::uint8_t { none, head, message };

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Equal ignoring case, and with '_' in `name` standing for '-' in `dashed`.
bool same_header(std::string_view name, std::string_view dashed) {
  return name.size() == dashed.size() && std::equal(name.begin(), name.end(), dashed.begin(), [](char x, char y) {
           return ((x == '_' ? '-' : x) | 0x20) == (y | 0x20);
         });
}

// Headers besides ours that frameworks read as the client's address, host or scheme (nginx's
// X-Real-IP, X-Forwarded-Host/-Port, Akamai's True-Client-IP...): kept from a trusted client only.
bool client_claim(std::string_view f) {
  for (std::string_view h : {"x-real-ip", "x-forwarded-host", "x-forwarded-port", "x-forwarded-server", "x-client-ip",
                             "true-client-ip", "x-cluster-client-ip", "client-ip"})
    if (same_header(f, h)) return true;
  return false;
}

void add(Buffer& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

}  // namespace

struct HttpForward::Impl {
  llhttp_t parser{};
  llhttp_settings_t settings{};
  ForwardFor who;
  std::size_t max_head;
  // The head being read.
  std::string method, url, version;
  std::vector<std::pair<std::string, std::string>> headers;
  bool in_value = false;
  std::size_t head_bytes = 0;
  bool in_head = true;
  Pause pause = Pause::none;
  bool raw = false;     // after Upgrade/CONNECT: pass everything
  bool failed = false;
  std::size_t heads = 0;
  std::string error;

  static Impl& of(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

  void reset_head() {
    method.clear();
    url.clear();
    version.clear();
    headers.clear();
    in_value = false;
    head_bytes = 0;
  }

  void rebuild(Buffer& out) const {
    add(out, method);
    add(out, " ");
    add(out, url);
    add(out, " HTTP/");
    add(out, version);
    add(out, "\r\n");
    std::string fwd, xff, xfp;
    auto join = [](std::string& list, const std::string& v) { list += (list.empty() ? "" : ", ") + v; };
    for (const auto& [f, v] : headers) {
      const bool ours = iequals(f, "forwarded") || iequals(f, "x-forwarded-for") || iequals(f, "x-forwarded-proto");
      // X_Forwarded_For is never passed on: CGI, PHP and WSGI give it the same variable as
      // X-Forwarded-For (why nginx and Apache drop underscored names). Look-alikes of the
      // client's address go on from a trusted client only.
      const bool underscored = f.find('_') != std::string::npos;
      if (!ours && (same_header(f, "x-forwarded-for") || same_header(f, "x-forwarded-proto") ||
                    same_header(f, "forwarded") || (client_claim(f) && (underscored || !who.trusted))))
        continue;
      if (!ours) {
        add(out, f);
        add(out, ": ");
        add(out, v);
        add(out, "\r\n");
        continue;
      }
      if (!who.trusted || v.empty()) continue;
      if (iequals(f, "forwarded")) join(fwd, v);
      else if (iequals(f, "x-forwarded-for")) join(xff, v);
      else xfp = v;
    }
    join(fwd, forwarded_node(who.client, who.client_port) + ";proto=" + who.proto);
    join(xff, unmap_v4(who.client).to_string());
    add(out, "Forwarded: " + fwd + "\r\n");
    add(out, "X-Forwarded-For: " + xff + "\r\n");
    add(out, "X-Forwarded-Proto: " + (xfp.empty() ? who.proto : xfp) + "\r\n\r\n");
  }
};

namespace {

int on_method(llhttp_t* p, const char* at, std::size_t n) {
  HttpForward::Impl::of(p).method.append(at, n);
  return 0;
}
int on_url(llhttp_t* p, const char* at, std::size_t n) {
  HttpForward::Impl::of(p).url.append(at, n);
  return 0;
}
int on_version(llhttp_t* p, const char* at, std::size_t n) {
  HttpForward::Impl::of(p).version.append(at, n);
  return 0;
}
int on_field(llhttp_t* p, const char* at, std::size_t n) {
  auto& s = HttpForward::Impl::of(p);
  if (s.in_value || s.headers.empty()) s.headers.emplace_back();
  s.in_value = false;
  s.headers.back().first.append(at, n);
  return 0;
}
int on_value(llhttp_t* p, const char* at, std::size_t n) {
  auto& s = HttpForward::Impl::of(p);
  if (s.headers.empty()) s.headers.emplace_back();
  s.in_value = true;
  s.headers.back().second.append(at, n);
  return 0;
}
// RFC 9110 §5.6.2 tchar. Debian's llhttp lets "X-Forwarded-For : v" through with the space in the
// name; a backend that trims it would read the client's own address claim, so RFC 9112 §5.1's 400.
bool is_token(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr) || c == 0) return false;
  return true;
}

// Pausing at the two boundaries tells feed() where a head ends and where the next begins.
int on_headers_complete(llhttp_t* p) {
  auto& s = HttpForward::Impl::of(p);
  for (const auto& h : s.headers)
    if (!is_token(h.first)) {
      llhttp_set_error_reason(p, "header name is not a token (whitespace before the colon?)");
      return HPE_USER;
    }
  s.pause = Pause::head;
  return HPE_PAUSED;
}
int on_message_complete(llhttp_t* p) {
  HttpForward::Impl::of(p).pause = Pause::message;
  return HPE_PAUSED;
}

}  // namespace

HttpForward::HttpForward(ForwardFor who, std::size_t max_head) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.who = std::move(who);
  s.max_head = max_head;
  llhttp_settings_init(&s.settings);
  s.settings.on_method = on_method;
  s.settings.on_url = on_url;
  s.settings.on_version = on_version;
  s.settings.on_header_field = on_field;
  s.settings.on_header_value = on_value;
  s.settings.on_headers_complete = on_headers_complete;
  s.settings.on_message_complete = on_message_complete;
  llhttp_init(&s.parser, HTTP_REQUEST, &s.settings);
  s.parser.data = &s;
}

HttpForward::~HttpForward() = default;

bool HttpForward::in_head() const { return impl_->in_head && !impl_->raw; }
std::size_t HttpForward::heads() const { return impl_->heads; }
std::string HttpForward::error() const { return impl_->error; }

HttpForward::Status HttpForward::feed(Bytes in, Buffer& out) {
  Impl& s = *impl_;
  if (s.failed) return Status::bad_request;
  const char* p = reinterpret_cast<const char*>(in.data());
  const char* const end = p + in.size();
  while (p < end) {
    if (s.raw) {
      out.insert(out.end(), p, end);
      break;
    }
    s.pause = Pause::none;
    const llhttp_errno_t err = llhttp_execute(&s.parser, p, static_cast<std::size_t>(end - p));
    const char* stop = err == HPE_OK ? end : llhttp_get_error_pos(&s.parser);
    if (stop == nullptr || stop < p || stop > end) stop = end;
    if (s.in_head) {
      s.head_bytes += static_cast<std::size_t>(stop - p);
      if (s.head_bytes > s.max_head) {
        s.failed = true;
        return Status::head_too_large;
      }
    } else {
      out.insert(out.end(), p, stop);  // body bytes, as they came
    }
    if (err == HPE_OK) break;
    if (err == HPE_PAUSED && s.pause == Pause::head) {
      s.rebuild(out);
      ++s.heads;
      s.in_head = false;
      s.reset_head();
      llhttp_resume(&s.parser);
    } else if (err == HPE_PAUSED && s.pause == Pause::message) {
      s.in_head = true;
      llhttp_resume(&s.parser);
    } else if (err == HPE_PAUSED_UPGRADE) {
      s.raw = true;  // the rest of the stream is not HTTP/1 any more
    } else {
      s.failed = true;
      s.error = llhttp_get_error_reason(&s.parser) ? llhttp_get_error_reason(&s.parser) : "malformed";
      return Status::bad_request;
    }
    p = stop;
  }
  return Status::ok;
}

}  // namespace reach::packet
