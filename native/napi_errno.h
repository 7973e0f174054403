// The Error that the Node addons (mptcp_socket, netns_socket, tun_link) throw for a failed system
// call, as Node's own errors are: message "what: strerror", `code` the errno's name ("ENOPROTOOPT",
// "E<n>" for one glibc cannot name) and `errno` the number. Needs _GNU_SOURCE (strerrorname_np).
#ifndef MPLAB_NAPI_ERRNO_H
#define MPLAB_NAPI_ERRNO_H

#include <stdio.h>
#include <string.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  char codebuf[32];
  const char *name = strerrorname_np(err);
  if (name) snprintf(codebuf, sizeof codebuf, "%s", name);
  else snprintf(codebuf, sizeof codebuf, "E%d", err);
  napi_value code, text, error, errnoValue;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_string_utf8(env, codebuf, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return NULL;
}

#endif
