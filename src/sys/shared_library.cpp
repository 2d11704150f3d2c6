#include "sys/shared_library.hpp"

#include <dlfcn.h>
#include <malloc.h>

namespace reach::sys {

Result<void*> load_library(const std::string& soname) {
  void* h = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = ::dlerror();
    return fail("load", soname, 0, why ? why : "dlopen failed");
  }
  return h;
}

void unload_library(void* handle) {
  if (handle) ::dlclose(handle);
}

void trim_heap() { ::malloc_trim(0); }

void* library_symbol(void* handle, const char* name) { return ::dlsym(handle, name); }

}  // namespace reach::sys
