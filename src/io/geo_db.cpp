#include "io/geo_db.hpp"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/ip_prefix.hpp"

namespace reach::io {

struct GeoDb::Impl {
  std::vector<MMDB_s> dbs;
  ~Impl() {
    for (auto& db : dbs) MMDB_close(&db);
  }
};

namespace {

// The value at `path` of an entry when it is of `type`.
bool value_at(MMDB_entry_s& e, MMDB_entry_data_s& out, std::uint32_t type, const char* const* path) {
  return MMDB_aget_value(&e, &out, path) == MMDB_SUCCESS && out.has_data && out.type == type;
}

void fill(MMDB_entry_s& e, model::GeoTag& tag) {
  MMDB_entry_data_s d{};
  if (tag.country.empty()) {
    static const char* const kCountry[] = {"country", "iso_code", nullptr};
    static const char* const kRegistered[] = {"registered_country", "iso_code", nullptr};
    if (value_at(e, d, MMDB_DATA_TYPE_UTF8_STRING, kCountry) ||
        value_at(e, d, MMDB_DATA_TYPE_UTF8_STRING, kRegistered))
      tag.country.assign(d.utf8_string, d.data_size);
  }
  if (tag.asn == 0) {
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    if (value_at(e, d, MMDB_DATA_TYPE_UINT32, kAsn)) tag.asn = d.uint32;
  }
  if (tag.as_org.empty()) {
    static const char* const kOrg[] = {"autonomous_system_organization", nullptr};
    if (value_at(e, d, MMDB_DATA_TYPE_UTF8_STRING, kOrg)) tag.as_org.assign(d.utf8_string, d.data_size);
  }
}

std::vector<std::string> search_dirs() {
  if (const char* d = std::getenv("REACH_GEOIP_DIR"); d && *d) return {d};
  return {"/var/lib/GeoIP", "/usr/share/GeoIP"};
}

}  // namespace

GeoDb::GeoDb(std::unique_ptr<Impl> impl, std::vector<std::string> paths)
    : impl_(std::move(impl)), paths_(std::move(paths)) {}
GeoDb::GeoDb(GeoDb&&) noexcept = default;
GeoDb& GeoDb::operator=(GeoDb&&) noexcept = default;
GeoDb::~GeoDb() = default;

Result<GeoDb> GeoDb::open(const std::vector<std::string>& paths) {
  auto impl = std::make_unique<Impl>();
  impl->dbs.reserve(paths.size());
  for (const auto& p : paths) {
    // libmaxminddb reports a directory or an empty file through mmap's errno (ENODEV,
    // EINVAL), which names neither; say what the file is instead.
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) return fail("open MaxMind database", p, 0, "a directory, not a .mmdb file");
    if (std::filesystem::is_regular_file(p, ec) && std::filesystem::file_size(p, ec) == 0 && !ec)
      return fail("open MaxMind database", p, 0, "an empty file, not a MaxMind database");
    MMDB_s db{};
    int rc = MMDB_open(p.c_str(), MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
      int err = rc == MMDB_FILE_OPEN_ERROR ? errno : 0;
      return fail("open MaxMind database", p, err, err ? "" : MMDB_strerror(rc));
    }
    impl->dbs.push_back(db);
  }
  return GeoDb(std::move(impl), paths);
}

std::vector<std::string> GeoDb::default_paths() {
  std::vector<std::string> out;
  for (const auto& dir : search_dirs()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".mmdb" && e.is_regular_file(ec)) out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string GeoDb::default_dirs_text() {
  std::string s;
  for (const auto& d : search_dirs()) s += (s.empty() ? "" : ", ") + d;
  return s;
}

model::GeoTag GeoDb::lookup(const IpAddr& addr) const {
  model::GeoTag tag;
  IpAddr a = unmap_v4(addr);
  sockaddr_storage ss{};
  if (a.is_v4()) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, a.data(), 4);
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, a.data(), 16);
  }
  for (auto& db : impl_->dbs) {
    int mmdb_err = MMDB_SUCCESS;
    auto r = MMDB_lookup_sockaddr(&db, reinterpret_cast<const sockaddr*>(&ss), &mmdb_err);
    // An IPv6 address in an IPv4-only file is an error, not a miss: skip the file for it.
    if (mmdb_err != MMDB_SUCCESS || !r.found_entry) continue;
    fill(r.entry, tag);
  }
  return tag;
}

}  // namespace reach::io
