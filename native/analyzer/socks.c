// A port of parseProxyRequest() of analysis/socks.ts (SOCKS5, SOCKS4/4a, ShadowSocks, HTTP CONNECT).
#include <string.h>

#include "mpa.h"

static inline uint32_t u32be(const uint8_t *b, int o) {
  return ((uint32_t)b[o] << 24) | ((uint32_t)b[o + 1] << 16) | ((uint32_t)b[o + 2] << 8) | b[o + 3];
}

static inline int u16be(const uint8_t *b, int o) {
  return (b[o] << 8) | b[o + 1];
}

static int is_host_char(int c) {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x2d || c == 0x5f || c == 0x3a;
}

static void set_host(MpaProxyRequest *r, const uint8_t *s, int n) {
  // the callers' prefixes (PREFIX_UP = 512 bytes) keep every host shorter than r->host
  if (n > (int)sizeof r->host) n = (int)sizeof r->host;
  memcpy(r->host, s, (size_t)n);
  r->hostLen = n;
}

// The formatted address, written straight into r->host: an IPv6 text is at most 45 bytes, so the
// buffer never grows (never reallocated).
static MpaBuf host_buf(MpaProxyRequest *r) {
  MpaBuf b = {r->host, 0, sizeof r->host};
  return b;
}

static void set_ipv4_host(MpaProxyRequest *r, uint32_t a) {
  MpaBuf b = host_buf(r);
  mpa_put_ipv4(&b, a);
  r->hostLen = (int)b.len;
}

// SOCKS5 address (ATYP, address, port) at p: the host and port into r, *end just after the port
static int parse_address(const uint8_t *b, int len, int p, int atyp, MpaProxyRequest *r, int *end) {
  if (atyp == 1) {
    if (len < p + 6) return MPA_PROXY_MORE;
    set_ipv4_host(r, u32be(b, p));
    r->port = u16be(b, p + 4);
    *end = p + 6;
    return MPA_PROXY_FOUND;
  }
  if (atyp == 3) {
    if (len < p + 1) return MPA_PROXY_MORE;
    int n = b[p];
    if (n == 0) return MPA_PROXY_NONE;
    if (len < p + 1 + n + 2) return MPA_PROXY_MORE;
    for (int i = 0; i < n; i++)
      if (!is_host_char(b[p + 1 + i])) return MPA_PROXY_NONE;
    set_host(r, b + p + 1, n);
    r->port = u16be(b, p + 1 + n);
    *end = p + 1 + n + 2;
    return MPA_PROXY_FOUND;
  }
  if (atyp == 4) {
    if (len < p + 18) return MPA_PROXY_MORE;
    MpaBuf h = host_buf(r);
    mpa_put_ipv6(&h, u32be(b, p), u32be(b, p + 4), u32be(b, p + 8), u32be(b, p + 12));
    r->hostLen = (int)h.len;
    r->port = u16be(b, p + 16);
    *end = p + 18;
    return MPA_PROXY_FOUND;
  }
  return MPA_PROXY_NONE;
}

// The length of the SOCKS5 reply at p of the proxy's bytes; 10 (IPv4 form) when not captured.
static int socks5_reply_length(const uint8_t *d, int dLen, int p) {
  if (dLen < p + 5 || d[p] != 5) return 10;
  int atyp = d[p + 3];
  if (atyp == 1) return 10;
  if (atyp == 4) return 22;
  if (atyp == 3) return 4 + 1 + d[p + 4] + 2;
  return 10;
}

static int parse_socks5(const uint8_t *u, int len, const uint8_t *d, int dLen, MpaProxyRequest *r) {
  if (len < 2) return MPA_PROXY_MORE;
  int methods = u[1];
  if (methods == 0) return MPA_PROXY_NONE;
  int p = 2 + methods;
  if (len < p + 1) return MPA_PROXY_MORE;
  int down = 2;
  if (u[p] == 1) {
    // username/password sub-negotiation (RFC 1929): VER ULEN UNAME PLEN PASSWD
    if (len < p + 2) return MPA_PROXY_MORE;
    int ulen = u[p + 1];
    if (len < p + 3 + ulen) return MPA_PROXY_MORE;
    int plen = u[p + 2 + ulen];
    p += 3 + ulen + plen;
    down += 2;
    if (len < p + 1) return MPA_PROXY_MORE;
  }
  if (u[p] != 5) return MPA_PROXY_NONE;
  if (len < p + 4) return MPA_PROXY_MORE;
  int cmd = u[p + 1];
  if (cmd < 1 || cmd > 3 || u[p + 2] != 0) return MPA_PROXY_NONE;
  int end;
  int res = parse_address(u, len, p + 4, u[p + 3], r, &end);
  if (res != MPA_PROXY_FOUND) return res;
  r->protocol = MPA_SOCKS5;
  r->upBytes = end;
  r->downBytes = down + socks5_reply_length(d, dLen, down);
  return MPA_PROXY_FOUND;
}

static int parse_socks4(const uint8_t *u, int len, MpaProxyRequest *r) {
  if (len < 2) return MPA_PROXY_MORE;
  if (u[1] != 1 && u[1] != 2) return MPA_PROXY_NONE;
  if (len < 9) return MPA_PROXY_MORE;
  r->protocol = MPA_SOCKS4;
  r->port = u16be(u, 2);
  r->downBytes = 8;
  uint32_t ip = u32be(u, 4);
  int p = 8;
  while (p < len && u[p] != 0) p++;
  if (p >= len) return p >= 512 ? MPA_PROXY_NONE : MPA_PROXY_MORE;
  p++;
  if (ip > 0 && ip < 256) {
    // SOCKS4a: a domain name follows the user id
    int start = p;
    while (p < len && u[p] != 0) {
      if (!is_host_char(u[p])) return MPA_PROXY_NONE;
      p++;
    }
    if (p >= len) return MPA_PROXY_MORE;
    set_host(r, u + start, p - start);
    r->upBytes = p + 1;
    return MPA_PROXY_FOUND;
  }
  set_ipv4_host(r, ip);
  r->upBytes = p;
  return MPA_PROXY_FOUND;
}

static int parse_shadowsocks(const uint8_t *u, int len, MpaProxyRequest *r) {
  // the address type, with 0x10 set in the one-time-authentication variant
  int first = u[0];
  if (first != 1 && first != 3 && first != 4 && first != 0x11 && first != 0x13 && first != 0x14) return MPA_PROXY_NONE;
  int end;
  int res = parse_address(u, len, 1, first & 0x0f, r, &end);
  if (res != MPA_PROXY_FOUND) return res;
  if (r->port == 0) return MPA_PROXY_NONE;
  r->protocol = MPA_SHADOWSOCKS;
  r->upBytes = end;
  r->downBytes = 0;
  return MPA_PROXY_FOUND;
}

// JS's indexOf of a string in the bytes read as Latin-1
static int index_of(const uint8_t *s, int n, const char *pat, int m) {
  for (int i = 0; i + m <= n; i++)
    if (memcmp(s + i, pat, (size_t)m) == 0) return i;
  return -1;
}

// JS's \s among Latin-1 units
static int is_js_space(int c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0;
}

static int is_digit(int c) {
  return c >= '0' && c <= '9';
}

static int is_addr6_char(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

// ":" and 1 to 5 digits from a[i] to the end: the port, or -1
static int match_port(const uint8_t *a, int n, int i) {
  if (i >= n || a[i] != ':') return -1;
  int digits = n - i - 1;
  if (digits < 1 || digits > 5) return -1;
  int port = 0;
  for (int j = i + 1; j < n; j++) {
    if (!is_digit(a[j])) return -1;
    port = port * 10 + (a[j] - '0');
  }
  return port;
}

// /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/ on the authority: neither character class
// holds the character that follows it, so no backtracking can change a match
static int match_authority(const uint8_t *a, int n, int *hostOff, int *hostLen) {
  if (n > 0 && a[0] == '[') {
    int i = 1;
    while (i < n && is_addr6_char(a[i])) i++;
    if (i > 1 && i < n && a[i] == ']') {
      int port = match_port(a, n, i + 1);
      if (port >= 0) {
        *hostOff = 1;
        *hostLen = i - 1;
        return port;
      }
    }
  }
  int i = 0;
  while (i < n && a[i] != ':' && !is_js_space(a[i])) i++;
  if (i == 0) return -1;
  *hostOff = 0;
  *hostLen = i;
  return match_port(a, n, i);
}

static int parse_connect(const uint8_t *u, int len, const uint8_t *d, int dLen, MpaProxyRequest *r) {
  static const char CONNECT[] = "CONNECT ";
  for (int i = 0; i < 8; i++) {
    if (i >= len) return MPA_PROXY_MORE;
    if (u[i] != (uint8_t)CONNECT[i]) return MPA_PROXY_NONE;
  }
  int headEnd = index_of(u, len, "\r\n\r\n", 4);
  if (headEnd < 0) return len >= 512 ? MPA_PROXY_NONE : MPA_PROXY_MORE;
  // "CONNECT " holds no "\r\n", so the line ends at or after its end
  int lineEnd = index_of(u, len, "\r\n", 2);
  const uint8_t *line = u + 8;
  int n = 0;
  while (8 + n < lineEnd && line[n] != ' ') n++;
  int hostOff, hostLen;
  int port = match_authority(line, n, &hostOff, &hostLen);
  if (port < 0 || port > 65535) return MPA_PROXY_NONE;
  r->protocol = MPA_HTTP_CONNECT;
  set_host(r, line + hostOff, hostLen);
  r->port = port;
  r->upBytes = headEnd + 4;
  int reply = index_of(d, dLen, "\r\n\r\n", 4);
  r->downBytes = reply < 0 ? 0 : reply + 4;
  return MPA_PROXY_FOUND;
}

static int parse(const uint8_t *up, int upLen, const uint8_t *down, int downLen, MpaProxyRequest *r) {
  if (upLen == 0) return MPA_PROXY_MORE;
  int first = up[0];
  if (first == 5) return parse_socks5(up, upLen, down, downLen, r);
  // SOCKS4 (command 1 or 2) and the ShadowSocks IPv6 form both start with 4
  if (first == 4 && (upLen < 2 || up[1] == 1 || up[1] == 2)) return parse_socks4(up, upLen, r);
  if (first == 0x43) return parse_connect(up, upLen, down, downLen, r);
  return parse_shadowsocks(up, upLen, r);
}

int mpa_parse_proxy(const uint8_t *up, int upLen, const uint8_t *down, int downLen, MpaProxyRequest *out) {
  // `out` changes only when a request is found
  MpaProxyRequest r;
  int res = parse(up, upLen, down, downLen, &r);
  if (res == MPA_PROXY_FOUND) *out = r;
  return res;
}
