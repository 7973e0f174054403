// Opens IPPROTO_MPTCP sockets for Node, which has no option for the socket protocol, and reads
// MPTCP_INFO from them. Node adopts the returned descriptor (server.listen({fd}), or
// new net.Socket({fd}) and then connect()). Also reads a redirected connection's original
// destination (SO_ORIGINAL_DST), which Node cannot ask for.
#define _GNU_SOURCE  // strerrorname_np
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter_ipv4.h>
#include <node_api.h>
#include "napi_errno.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
#define MPLAB_MPTCP_INFO 1

// The leading fields of the kernel's struct mptcp_info (stable since 5.16); newer kernels append.
struct mplab_mptcp_info {
  uint8_t subflows;
  uint8_t add_addr_signal;
  uint8_t add_addr_accepted;
  uint8_t subflows_max;
  uint8_t add_addr_signal_max;
  uint8_t add_addr_accepted_max;
  uint32_t flags;
  uint32_t token;
  uint64_t write_seq;
  uint64_t snd_una;
  uint64_t rcv_nxt;
  uint8_t local_addr_used;
  uint8_t local_addr_max;
  uint8_t csum_enabled;
};

// The first argument of a call as an integer (`fallback` when absent or not a number).
static int32_t int_arg(napi_env env, napi_callback_info info, int32_t fallback) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t value = fallback;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &value) != napi_ok) return fallback;
  return value;
}

// listen(host: string, port: number, backlog: number, v6only: boolean) -> fd
static napi_value mptcp_listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char host[INET6_ADDRSTRLEN + 1];
  size_t hostLen = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hostLen) != napi_ok) {
    napi_throw_type_error(env, NULL, "host must be a string");
    return NULL;
  }
  int32_t port = 0, backlog = 511;
  bool v6only = false;
  napi_get_value_int32(env, argv[1], &port);
  napi_get_value_int32(env, argv[2], &backlog);
  napi_get_value_bool(env, argv[3], &v6only);

  struct sockaddr_storage addr;
  socklen_t addrLen;
  memset(&addr, 0, sizeof addr);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    addrLen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    addrLen = sizeof *a6;
  } else {
    napi_throw_type_error(env, NULL, "host must be an IPv4 or IPv6 address");
    return NULL;
  }

  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);
  if (fd < 0) return throw_errno(env, "socket(IPPROTO_MPTCP)", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.ss_family == AF_INET6) {
    int v6 = v6only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6);
  }
  if (bind(fd, (struct sockaddr *)&addr, addrLen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  if (listen(fd, backlog) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "listen", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// socket(family: 4 | 6) -> fd of a non-blocking IPPROTO_MPTCP stream socket, not yet connected.
// Throws (code ENOPROTOOPT) where the kernel refuses MPTCP sockets (net.mptcp.enabled=0).
static napi_value mptcp_socket(napi_env env, napi_callback_info info) {
  int32_t family = int_arg(env, info, 4);
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);
  if (fd < 0) return throw_errno(env, "socket(IPPROTO_MPTCP)", errno);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// originalDst(fd) -> { address, port } of an IPv4 connection redirected by netfilter (nftables
// redirect / dnat), or null when the connection was not redirected.
static napi_value original_dst(napi_env env, napi_callback_info info) {
  int32_t fd = int_arg(env, info, -1);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  socklen_t len = sizeof addr;
  napi_value result;
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &addr, &len) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOPROTOOPT || err == EOPNOTSUPP) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", err);
  }
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text);
  napi_create_object(env, &result);
  napi_value address, port;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_uint32(env, ntohs(addr.sin_port), &port);
  napi_set_named_property(env, result, "address", address);
  napi_set_named_property(env, result, "port", port);
  return result;
}

// protocol(fd) -> the socket's protocol number (262 for MPTCP, 6 for TCP)
static napi_value socket_protocol(napi_env env, napi_callback_info info) {
  int32_t fd = int_arg(env, info, -1);
  int proto = 0;
  socklen_t len = sizeof proto;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0) return throw_errno(env, "getsockopt(SO_PROTOCOL)", errno);
  napi_value result;
  napi_create_int32(env, proto, &result);
  return result;
}

static void set_u32(napi_env env, napi_value obj, const char *name, uint32_t v) {
  napi_value value;
  napi_create_uint32(env, v, &value);
  napi_set_named_property(env, obj, name, value);
}

// info(fd) -> { subflows, flags, token, ... } or null when the socket is not MPTCP / fell back
static napi_value mptcp_info(napi_env env, napi_callback_info info) {
  int32_t fd = int_arg(env, info, -1);
  struct mplab_mptcp_info mi;
  memset(&mi, 0, sizeof mi);
  socklen_t len = sizeof mi;
  napi_value result;
  if (getsockopt(fd, SOL_MPTCP, MPLAB_MPTCP_INFO, &mi, &len) < 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  set_u32(env, result, "subflows", mi.subflows);
  set_u32(env, result, "addAddrSignal", mi.add_addr_signal);
  set_u32(env, result, "addAddrAccepted", mi.add_addr_accepted);
  set_u32(env, result, "flags", mi.flags);
  set_u32(env, result, "token", mi.token);
  set_u32(env, result, "localAddrUsed", mi.local_addr_used);
  napi_value fallback;
  napi_get_boolean(env, (mi.flags & 1) != 0, &fallback);
  napi_set_named_property(env, result, "fallback", fallback);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listen", NULL, mptcp_listen, NULL, NULL, NULL, napi_default, NULL},
      {"socket", NULL, mptcp_socket, NULL, NULL, NULL, napi_default, NULL},
      {"originalDst", NULL, original_dst, NULL, NULL, NULL, napi_default, NULL},
      {"protocol", NULL, socket_protocol, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, mptcp_info, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
