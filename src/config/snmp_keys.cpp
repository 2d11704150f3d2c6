#include "config/snmp_keys.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/config_words.hpp"

namespace reach::config {
namespace {

using words::at;

bool is_auth_protocol(std::string_view s) {
  static constexpr std::array<std::string_view, 6> k = {"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"};
  return std::find(k.begin(), k.end(), s) != k.end();
}
bool is_priv_protocol(std::string_view s) {
  static constexpr std::array<std::string_view, 4> k = {"DES", "AES", "AES-192", "AES-256"};
  return std::find(k.begin(), k.end(), s) != k.end();
}

}  // namespace

bool snmp_session_key(yaml::Walker& w, const std::string& k, const yaml::Node& v, const std::string& pk,
                      SnmpSource& q) {
  static constexpr std::array<std::string_view, 7> kKeys = {"version",       "community",     "user",
                                                            "auth_protocol", "auth_password", "priv_protocol",
                                                            "priv_password"};
  if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) return false;
  auto text = w.str(v, pk);
  if (!text) return true;
  if (k == "version") {
    if (*text == "2" || *text == "2c") q.version = 2;
    else if (*text == "3") q.version = 3;
    else w.error(v, pk, "must be 2c (or 2) or 3");
  } else if (!words::printable(*text, k.find("password") != std::string::npos || k == "community")) {
    w.error(v, pk, "must be printable ASCII");
  } else if (k == "community") {
    q.community = *text;
  } else if (k == "user") {
    q.user = *text;
  } else if (k == "auth_protocol" || k == "priv_protocol") {
    std::string up;
    for (char c : *text) up += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    if (k == "auth_protocol" && is_auth_protocol(up)) q.auth_protocol = up;
    else if (k == "priv_protocol" && is_priv_protocol(up)) q.priv_protocol = up;
    else w.error(v, pk, k == "auth_protocol" ? "must be MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512"
                                             : "must be DES, AES, AES-192 or AES-256");
  } else if (text->size() < 8) {
    w.error(v, pk, "must be at least 8 characters (SNMPv3 refuses shorter pass phrases)");
  } else {
    (k == "auth_password" ? q.auth_password : q.priv_password) = *text;
  }
  return true;
}

void check_snmp_session(yaml::Walker& w, const yaml::Node& n, const std::string& p, const SnmpSource& q) {
  if (!n.IsMap()) return;
  bool v3_keys = n["user"].IsDefined() || n["auth_protocol"].IsDefined() || n["auth_password"].IsDefined() ||
                 n["priv_protocol"].IsDefined() || n["priv_password"].IsDefined();
  if (q.version == 2 && v3_keys) w.error(n, p, "user, auth_* and priv_* are for version 3");
  if (q.version == 3) {
    if (n["community"].IsDefined()) w.error(n, at(p, "community"), "is for version 2c; version 3 uses user");
    if (!n["user"].IsDefined()) w.error(n, at(p, "user"), "is required for version 3");
    if (n["auth_protocol"].IsDefined() != n["auth_password"].IsDefined())
      w.error(n, p, "auth_protocol and auth_password go together");
    if (n["priv_protocol"].IsDefined() != n["priv_password"].IsDefined())
      w.error(n, p, "priv_protocol and priv_password go together");
    if (n["priv_protocol"].IsDefined() && !n["auth_protocol"].IsDefined())
      w.error(n, p, "privacy needs authentication too (auth_protocol, auth_password)");
  }
}

}  // namespace reach::config
