// Sockets of another network namespace for a process that lives in its own: the calling thread
// enters the namespace (setns), creates and binds or connects the socket, and returns to its own
// namespace before anything else runs on it. A socket keeps the namespace it was made in, so Node
// adopts the descriptor (server.listen({fd}), new net.Socket({fd})) and serves it from here.
// The virtual phone's daemon uses it for the UiAutomator2 server's port and adb's tcp: forwards.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include "napi_errno.h"

// Runs make(addr) with the thread in the namespace of `nsPath`; returns the fd or -errno.
static int in_namespace(const char *nsPath, int (*make)(const struct sockaddr_in *, int), const struct sockaddr_in *addr, int backlog, const char **failed) {
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    *failed = "open /proc/thread-self/ns/net";
    return -errno;
  }
  int target = open(nsPath, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(own);
    *failed = "open the namespace";
    return -err;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    close(own);
    close(target);
    *failed = "setns";
    return -err;
  }
  int fd = make(addr, backlog);
  int made = errno;
  // Back to our own namespace whatever happened: this thread runs JavaScript next.
  if (setns(own, CLONE_NEWNET) < 0) {
    // cannot happen for a namespace we were in; leaving the thread elsewhere would be worse than stopping
    perror("netns_socket: setns back");
    _exit(70);
  }
  close(own);
  close(target);
  if (fd < 0) {
    *failed = made == ECONNREFUSED ? "connect" : "socket";
    return -made;
  }
  return fd;
}

static int make_listener(const struct sockaddr_in *addr, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)addr, sizeof *addr) < 0 || listen(fd, backlog) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// A blocking connect: meant for a loopback address, where it completes or is refused at once.
static int make_connection(const struct sockaddr_in *addr, int unused) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// (nsPath: string, host: string (IPv4), port: number, backlog: number) -> fd
static napi_value socket_in(napi_env env, napi_callback_info info, int listening) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char nsPath[512], host[INET_ADDRSTRLEN + 1];
  size_t len = 0;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], nsPath, sizeof nsPath, &len) != napi_ok || len == 0 || len >= sizeof nsPath - 1) {
    napi_throw_type_error(env, NULL, "the namespace path must be a string");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "host must be an IPv4 address");
    return NULL;
  }
  int32_t port = 0, backlog = 511;
  napi_get_value_int32(env, argv[2], &port);
  if (argc > 3) napi_get_value_int32(env, argv[3], &backlog);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    napi_throw_type_error(env, NULL, "expected an IPv4 address and a port from 0 to 65535");
    return NULL;
  }
  const char *failed = "";
  int fd = in_namespace(nsPath, listening ? make_listener : make_connection, &addr, backlog, &failed);
  if (fd < 0) {
    char what[600];
    snprintf(what, sizeof what, "%s %s:%d in %s (%s)", listening ? "listen on" : "connect to", host, port, nsPath, failed);
    return throw_errno(env, what, -fd);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value listen_in(napi_env env, napi_callback_info info) {
  return socket_in(env, info, 1);
}

static napi_value connect_in(napi_env env, napi_callback_info info) {
  return socket_in(env, info, 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listen", NULL, listen_in, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, connect_in, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
