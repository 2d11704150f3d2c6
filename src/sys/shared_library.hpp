#pragma once
// A shared library loaded at run time (dlopen), for a dependency only some runs need: the
// daemons' lean images map libmicrohttpd and its TLS stack (~2.3 MiB of RSS) only when an HTTP
// server is asked for. Loaded once and kept for the life of the process, or unloaded again
// (libnftables: relay and guard map it only while they ban).
#include <string>
#include <utility>

#include "base/error.hpp"

namespace reach::sys {

// The library `soname` ("libmicrohttpd.so.12"), RTLD_NOW | RTLD_LOCAL: a missing symbol fails
// here, not at a first call. Error: {op "load", addr SONAME, 0, dlerror()'s text}.
Result<void*> load_library(const std::string& soname);

// Drops one reference from load_library (dlclose): the library and what it pulled in leave the
// address space with the last one. nullptr is ignored.
void unload_library(void* handle);

// Gives the heap's free pages back to the kernel (malloc_trim): what an unloaded library's
// context freed otherwise stays resident in the process (~0.7 MiB for libnftables').
void trim_heap();

// `name` in a handle from load_library, nullptr when it has none.
void* library_symbol(void* handle, const char* name);

// Fills a table of function pointers from one loaded library, each typed by its slot
// (`decltype(&::fn)`); the first name the library lacks makes status() an error: {op "load",
// addr SONAME, 0, "no symbol NAME"}.
class SymbolBinder {
 public:
  SymbolBinder(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  template <class F>
  void operator()(F& slot, const char* name) {
    void* p = library_symbol(handle_, name);
    if (!p && missing_.empty()) missing_ = name;
    slot = reinterpret_cast<F>(p);
  }
  Result<void> status() const {
    if (missing_.empty()) return {};
    return fail("load", soname_, 0, "no symbol " + missing_);
  }

 private:
  void* handle_;
  std::string soname_;
  std::string missing_;
};

}  // namespace reach::sys
