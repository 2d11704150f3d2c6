#include "io/mhd_api.hpp"

#include "sys/shared_library.hpp"

namespace reach::io {
namespace {

// Debian 12's libmicrohttpd12 (0.9.75): the soname of the ABI <microhttpd.h> describes.
constexpr const char* kSoname = "libmicrohttpd.so.12";

Result<MhdApi> resolve() {
  auto h = sys::load_library(kSoname);
  if (!h) return tl::unexpected(h.error());
  MhdApi a{};
  sys::SymbolBinder bind(*h, kSoname);
  bind(a.start_daemon, "MHD_start_daemon");
  bind(a.stop_daemon, "MHD_stop_daemon");
  bind(a.run, "MHD_run");
  bind(a.get_timeout, "MHD_get_timeout");
  bind(a.get_daemon_info, "MHD_get_daemon_info");
  bind(a.get_connection_info, "MHD_get_connection_info");
  bind(a.get_connection_values, "MHD_get_connection_values");
  bind(a.suspend_connection, "MHD_suspend_connection");
  bind(a.resume_connection, "MHD_resume_connection");
  bind(a.http_unescape, "MHD_http_unescape");
  bind(a.create_response_from_buffer, "MHD_create_response_from_buffer");
  bind(a.add_response_header, "MHD_add_response_header");
  bind(a.queue_response, "MHD_queue_response");
  bind(a.destroy_response, "MHD_destroy_response");
  if (auto ok = bind.status(); !ok) return tl::unexpected(ok.error());
  return a;
}

}  // namespace

Result<const MhdApi*> load_mhd() {
  static const Result<MhdApi> api = resolve();
  if (!api) return tl::unexpected(api.error());
  return &*api;
}

}  // namespace reach::io
