#pragma once
// libmicrohttpd's functions that io::HttpServer calls, loaded at its first start (dlopen), not
// linked: a relay or guard without /metrics never maps the library and the GnuTLS stack it pulls
// in. Each pointer has the type of the declaration in <microhttpd.h>.
#include <microhttpd.h>

#include "base/error.hpp"

namespace reach::io {

struct MhdApi {
  decltype(&::MHD_start_daemon) start_daemon;
  decltype(&::MHD_stop_daemon) stop_daemon;
  decltype(&::MHD_run) run;
  decltype(&::MHD_get_timeout) get_timeout;
  decltype(&::MHD_get_daemon_info) get_daemon_info;
  decltype(&::MHD_get_connection_info) get_connection_info;
  decltype(&::MHD_get_connection_values) get_connection_values;
  decltype(&::MHD_suspend_connection) suspend_connection;
  decltype(&::MHD_resume_connection) resume_connection;
  decltype(&::MHD_http_unescape) http_unescape;
  decltype(&::MHD_create_response_from_buffer) create_response_from_buffer;
  decltype(&::MHD_add_response_header) add_response_header;
  decltype(&::MHD_queue_response) queue_response;
  decltype(&::MHD_destroy_response) destroy_response;
};

// The table, loaded once per process (thread-safe). Error: {op "load", addr
// "libmicrohttpd.so.12", 0, why} when the library or one of its functions is missing.
Result<const MhdApi*> load_mhd();

}  // namespace reach::io
