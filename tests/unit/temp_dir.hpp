#pragma once
// A fresh directory under /tmp for one test, removed with everything in it when the test ends.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace reach::test {

struct TempDir {
  std::string path;  // the directory

  TempDir() {
    char tmpl[] = "/tmp/reach-test-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    path = made ? made : "";
  }
  ~TempDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace reach::test
