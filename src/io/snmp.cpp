#include "io/snmp.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace reach::io {
namespace {

constexpr std::size_t kMaxWalkRows = 10000;

// Recursive: get_once holds it around open, get and close, which each take it too.
std::recursive_mutex& lib_lock() {
  static std::recursive_mutex m;
  return m;
}

// Once per process: no config or persistent files (a daemon must not depend on, or write,
// ~/.snmp or /var/lib/snmp), no MIB files (we send numeric OIDs), no logging: errors come back
// as values.
void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
    // Its messages (e.g. the MIB modules it cannot find) would go to stderr without a handler.
    snmp_disable_log();
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_EMERG);
    init_snmp("reach");
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Proto {
  const char* name;
  const oid* id;
  std::size_t len;
};

std::optional<Proto> auth_protocol(const std::string& name) {
  const std::string n = lower(name);
  if (n == "md5") return Proto{"MD5", usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol)};
  if (n == "sha" || n == "sha1" || n == "sha-1" || n.empty())
    return Proto{"SHA", usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol)};
  if (n == "sha-224" || n == "sha224")
    return Proto{"SHA-224", usmHMAC128SHA224AuthProtocol, OID_LENGTH(usmHMAC128SHA224AuthProtocol)};
  if (n == "sha-256" || n == "sha256")
    return Proto{"SHA-256", usmHMAC192SHA256AuthProtocol, OID_LENGTH(usmHMAC192SHA256AuthProtocol)};
  if (n == "sha-384" || n == "sha384")
    return Proto{"SHA-384", usmHMAC256SHA384AuthProtocol, OID_LENGTH(usmHMAC256SHA384AuthProtocol)};
  if (n == "sha-512" || n == "sha512")
    return Proto{"SHA-512", usmHMAC384SHA512AuthProtocol, OID_LENGTH(usmHMAC384SHA512AuthProtocol)};
  return std::nullopt;
}

std::optional<Proto> priv_protocol(const std::string& name) {
  const std::string n = lower(name);
  if (n == "des") return Proto{"DES", usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol)};
  if (n == "aes" || n == "aes128" || n == "aes-128" || n.empty())
    return Proto{"AES", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)};
  if (n == "aes192" || n == "aes-192")
    return Proto{"AES-192", usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol)};
  if (n == "aes256" || n == "aes-256")
    return Proto{"AES-256", usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol)};
  return std::nullopt;
}

// v3 security of `s` in `sess` (USM keys derived from the pass phrases).
Result<void> set_v3(netsnmp_session& sess, const config::SnmpSource& s) {
  auto bad = [&](const std::string& why) { return fail("snmp open", s.host, 0, why); };
  if (s.user.empty()) return bad("SNMPv3 needs a user");
  if (s.auth_password.empty()) return bad("SNMPv3 needs an auth_password (authNoPriv or authPriv)");
  auto auth = auth_protocol(s.auth_protocol);
  if (!auth) return bad("unknown auth_protocol \"" + s.auth_protocol + "\" (MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512)");
  const bool priv = !s.priv_password.empty();
  if (!priv && !s.priv_protocol.empty()) return bad("priv_protocol given without a priv_password");
  if (s.auth_password.size() < 8 || (priv && s.priv_password.size() < 8))
    return bad("SNMPv3 pass phrases must be at least 8 characters");
  sess.securityName = const_cast<char*>(s.user.c_str());
  sess.securityNameLen = s.user.size();
  sess.securityLevel = priv ? SNMP_SEC_LEVEL_AUTHPRIV : SNMP_SEC_LEVEL_AUTHNOPRIV;
  sess.securityAuthProto = const_cast<oid*>(auth->id);
  sess.securityAuthProtoLen = auth->len;
  sess.securityAuthKeyLen = USM_AUTH_KU_LEN;
  if (generate_Ku(auth->id, static_cast<u_int>(auth->len),
                  reinterpret_cast<const u_char*>(s.auth_password.data()), s.auth_password.size(),
                  sess.securityAuthKey, &sess.securityAuthKeyLen) != SNMPERR_SUCCESS)
    return bad("could not derive the auth key");
  if (priv) {
    auto p = priv_protocol(s.priv_protocol);
    if (!p) return bad("unknown priv_protocol \"" + s.priv_protocol + "\" (DES, AES, AES-192, AES-256)");
    sess.securityPrivProto = const_cast<oid*>(p->id);
    sess.securityPrivProtoLen = p->len;
    sess.securityPrivKeyLen = USM_PRIV_KU_LEN;
    if (generate_Ku(auth->id, static_cast<u_int>(auth->len),
                    reinterpret_cast<const u_char*>(s.priv_password.data()), s.priv_password.size(),
                    sess.securityPrivKey, &sess.securityPrivKeyLen) != SNMPERR_SUCCESS)
      return bad("could not derive the privacy key");
  }
  return {};
}

std::string session_error(void* sp) {
  int liberr = 0, syserr = 0;
  char* msg = nullptr;
  snmp_sess_error(sp, &liberr, &syserr, &msg);
  // A v3 engine discovery that got no answer fails so, not with STAT_TIMEOUT (net-snmp 5.9
  // puts the code in the session's s_errno, which comes back as the "system" error).
  const bool timeout = liberr == SNMPERR_TIMEOUT || syserr == SNMPERR_TIMEOUT;
  std::string out = timeout ? "no answer (timeout)" : msg ? msg : "unknown net-snmp error";
  free(msg);
  return out;
}

// The MIB directories, read into net-snmp's tree once (under lib_lock).
const std::string& load_mibs() {
  static std::string dirs;
  static bool loaded = false;
  if (loaded) return dirs;
  loaded = true;
  const char* env = std::getenv("MIBDIRS");
  dirs = env && *env ? env : kSnmpMibDirs;
  std::size_t from = 0;
  while (from <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', from), dirs.size());
    const std::string dir = dirs.substr(from, colon - from);
    if (!dir.empty()) add_mibdir(dir.c_str());  // a missing directory is skipped (-1)
    from = colon + 1;
  }
  read_all_mibs();
  return dirs;
}

}  // namespace

Result<SnmpOid> snmp_resolve_name(const std::string& name) {
  std::lock_guard lock(lib_lock());
  init_library();
  const std::string& dirs = load_mibs();
  oid buf[MAX_OID_LEN];
  std::size_t len = MAX_OID_LEN;
  if (!snmp_parse_oid(name.c_str(), buf, &len) || len == 0)
    return fail("snmp mib", name, 0, "unknown MIB name (MIBs read from " + dirs + "; or give the numeric OID)");
  SnmpOid out;
  for (std::size_t i = 0; i < len; ++i) out.push_back(static_cast<std::uint32_t>(buf[i]));
  return out;
}

std::string snmp_peer_name(const std::string& host) {
  if (!host.empty() && host.front() == '[') {  // "[v6]" or "[v6]:port"
    const auto close = host.find(']');
    const std::string rest = close == std::string::npos ? "" : host.substr(close + 1);
    return "udp6:" + host.substr(0, close == std::string::npos ? host.size() : close + 1) +
           (rest.empty() ? ":161" : rest);
  }
  const auto colons = std::count(host.begin(), host.end(), ':');
  if (colons > 1) return "udp6:[" + host + "]:161";
  if (colons == 1) return "udp:" + host;
  return "udp:" + host + ":161";
}

Result<std::unique_ptr<SnmpSession>> SnmpSession::open(const config::SnmpSource& s) {
  init_library();
  // The single-session API is thread-safe per session; the process-wide USM user table (v3)
  // and the MIB tree are not, so v3 sessions take turns, and v2c ones run side by side (one
  // silent v2c agent must not hold every other GET of watch's pool for its timeout).
  std::unique_lock lock(lib_lock(), std::defer_lock);
  if (s.version != 2) lock.lock();
  if (s.version != 2 && s.version != 3)
    return fail("snmp open", s.host, 0, "SNMP version " + std::to_string(s.version) + " (2 for v2c, or 3)");
  netsnmp_session sess;
  snmp_sess_init(&sess);
  const std::string peer = snmp_peer_name(s.host);
  sess.peername = const_cast<char*>(peer.c_str());
  sess.timeout = std::max<long>(1, static_cast<long>(s.timeout / 1000));  // microseconds
  sess.retries = std::max(0, s.retries);
  std::string community = s.community;
  if (s.version == 2) {
    sess.version = SNMP_VERSION_2c;
    sess.community = reinterpret_cast<u_char*>(community.data());
    sess.community_len = community.size();
  } else {
    sess.version = SNMP_VERSION_3;
    if (auto r = set_v3(sess, s); !r) return tl::unexpected(r.error());
  }
  std::unique_ptr<SnmpSession> out(new SnmpSession);
  out->host_ = s.host;
  out->v3_ = s.version == 3;
  out->sess_ = snmp_sess_open(&sess);  // copies what it needs from `sess`
  if (!out->sess_) {
    int liberr = 0, syserr = 0;
    char* msg = nullptr;
    if (!lock.owns_lock()) lock.lock();  // its message text is built in a static buffer
    snmp_error(&sess, &liberr, &syserr, &msg);
    std::string detail = msg ? msg : "cannot open a session";
    free(msg);
    return fail("snmp open", s.host, 0, detail);
  }
  return out;
}

Result<std::vector<SnmpVarbind>> SnmpSession::get_once(const config::SnmpSource& source,
                                                      const std::vector<SnmpOid>& oids) {
  std::unique_lock hold(lib_lock(), std::defer_lock);
  if (source.version != 2) hold.lock();
  auto session = open(source);  // closed before `hold` lets go
  if (!session) return tl::unexpected(session.error());
  return (*session)->get(oids);
}

SnmpSession::~SnmpSession() {
  if (!sess_) return;
  std::unique_lock lock(lib_lock(), std::defer_lock);
  if (v3_) lock.lock();
  // net-snmp keeps a v3 session's user, keys included, in its process-wide USM table and gives
  // the first keys to every later session of the same user and engine: a wrong pass phrase
  // once (or a right one after a wrong one) would stick. Forget the user with the session.
  if (const netsnmp_session* s = snmp_sess_session(sess_); s && s->version == SNMP_VERSION_3 && s->securityName) {
    for (usmUser* u = usm_get_userList(); u;) {
      usmUser* next = u->next;
      if (u->name && std::strcmp(u->name, s->securityName) == 0 && u->engineIDLen == s->securityEngineIDLen &&
          (u->engineIDLen == 0 || std::memcmp(u->engineID, s->securityEngineID, u->engineIDLen) == 0)) {
        usm_remove_user(u);
        usm_free_user(u);
      }
      u = next;
    }
  }
  snmp_sess_close(sess_);
}

Result<std::vector<SnmpVarbind>> SnmpSession::request(int command, const std::vector<SnmpOid>& oids) {
  std::unique_lock lock(lib_lock(), std::defer_lock);
  if (v3_) lock.lock();
  netsnmp_pdu* pdu = snmp_pdu_create(command);
  if (!pdu) return fail("snmp get", host_, ENOMEM);
  for (const auto& o : oids) {
    std::vector<oid> name(o.begin(), o.end());
    snmp_add_null_var(pdu, name.data(), name.size());
  }
  netsnmp_pdu* response = nullptr;
  const int status = snmp_sess_synch_response(sess_, pdu, &response);  // frees pdu
  std::unique_ptr<netsnmp_pdu, void (*)(netsnmp_pdu*)> owned(response, [](netsnmp_pdu* p) {
    if (p) snmp_free_pdu(p);
  });
  if (status == STAT_TIMEOUT) return fail("snmp get", host_, 0, "no answer (timeout)");
  if (status != STAT_SUCCESS || !response) {
    if (!lock.owns_lock()) lock.lock();  // net-snmp's error text: a static buffer
    return fail("snmp get", host_, 0, session_error(sess_));
  }
  if (response->errstat != SNMP_ERR_NOERROR)
    return fail("snmp get", host_, 0,
                std::string("the agent answered ") + snmp_errstring(static_cast<int>(response->errstat)) +
                    " (index " + std::to_string(response->errindex) + ")");
  return varbinds_from(response->variables, oids.size() + 8);
}

Result<std::vector<SnmpVarbind>> SnmpSession::get(const std::vector<SnmpOid>& oids) {
  return request(SNMP_MSG_GET, oids);
}

Result<int> SnmpSession::resolve_if(const std::string& name) {
  std::vector<int> found;
  for (const SnmpOid& col : {if_name_column(), if_descr_column()}) {
    SnmpOid at = col;
    for (std::size_t row = 0; row < kMaxWalkRows; ++row) {
      auto r = request(SNMP_MSG_GETNEXT, {at});
      if (!r) return tl::unexpected(r.error());
      if (r->empty()) break;
      const SnmpVarbind& v = r->front();
      auto index = row_under(v.oid, col);
      if (!index || v.type != kAsnOctets) break;  // past the column's end
      if (v.oid <= at) break;                     // an agent that does not move forward
      if (v.octets == name && *index > 0 && *index <= 0x7fffffff) found.push_back(static_cast<int>(*index));
      at = v.oid;
    }
    if (!found.empty()) break;
  }
  if (found.empty()) return fail("snmp get", host_, 0, "no interface named \"" + name + "\" in ifName or ifDescr");
  std::sort(found.begin(), found.end());
  if (found.size() == 1) return found.front();
  found.erase(found.begin(), found.end() - std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(found.size()), 16));
  std::vector<SnmpOid> status;
  for (int i : found) status.push_back(if_oper_status(i));
  auto r = get(status);
  if (!r) return tl::unexpected(r.error());
  for (auto i = found.rbegin(); i != found.rend(); ++i)
    for (const SnmpVarbind& v : *r)
      if (v.oid == if_oper_status(*i) && v.type == kAsnInteger && v.number == 1) return *i;
  return found.back();
}

Result<SnmpIfCounters> SnmpSession::if_counters(int if_index) {
  auto vbs = get(if_counter_oids(if_index));
  if (!vbs) return tl::unexpected(vbs.error());
  return decode_if_counters(*vbs, if_index, host_);
}

Result<SnmpIfCounters> snmp_if_counters(const config::SnmpSource& source) {
  auto s = SnmpSession::open(source);
  if (!s) return tl::unexpected(s.error());
  int index = source.if_index;
  if (index <= 0) {
    auto r = (*s)->resolve_if(source.if_name);
    if (!r) return tl::unexpected(r.error());
    index = *r;
  }
  return (*s)->if_counters(index);
}

}  // namespace reach::io
