#pragma once
// A shared library loaded at run time (dlopen), for a dependency only some runs need: the
// daemons' lean images map libmicrohttpd and its TLS stack (~2.3 MiB of RSS) only when an HTTP
// server is asked for. Loaded once and kept for the life of the process.
#include <string>

#include "base/error.hpp"

namespace reach::sys {

// The library `soname` ("libmicrohttpd.so.12"), RTLD_NOW | RTLD_LOCAL: a missing symbol fails
// here, not at a first call. Error: {op "load", addr SONAME, 0, dlerror()'s text}.
Result<void*> load_library(const std::string& soname);

// `name` in a handle from load_library, nullptr when it has none.
void* library_symbol(void* handle, const char* name);

}  // namespace reach::sys
