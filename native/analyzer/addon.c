// The native analyzer for Node (analysis/native-engine.ts): an analyzer handle that the capture
// reader hands a classic pcap file's records to a buffer at a time (scanPcap) and a pcapng file's
// frames in batches (frames), and that writes its connection and subflow records (JSON lines) to
// two open files, the partial files of a DirectoryOutput.
//
//   open({ graceSeconds, idleSeconds, wifi, cellular, connectionsFd, subflowsFd, proxyLog? }) -> handle
//     wifi, cellular: [{ w: [u32, u32, u32, u32], prefix }], in MpaCidr's IPv6 form
//     proxyLog: { text: Buffer, meta: Float64Array, tolerance }, the entries as MpaConfig's proxy* say
//   frames(handle, buf, meta, ts, count)
//     frame i: buf[meta[4i], meta[4i] + meta[4i+1]), wire length meta[4i+2], link type meta[4i+3],
//     timestamp ts[i]
//   scanPcap(handle, buf, from, to, params, times) -> where it stopped
//     the records in buf[from, to) as PcapRecords.scan (analysis/capture/pcap.ts) walks them;
//     params: SCAN_* below (the record count updated), times: the reader's recordTimes(1)
//   nextTrace(handle)
//   finish(handle) -> summary (mpa_summary's fields, ports as [[port | null, connections, up, down]],
//     proxyLogMatched)
//   close(handle): frees the analyzer now (the handle's finalizer does it otherwise)
//
// The files are not closed here: their owner (the DirectoryOutput) closes, publishes or discards
// them. A failed write throws an Error as Node's own (code: the errno's name) when the call that
// made it returns.
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include "../napi_errno.h"
#include "mpa.h"

// an output buffer is written out when it holds more than this (after a call; the analyzer's
// drain() writes the connections buffer out as soon as it holds more, in the middle of a call)
#define FLUSH_AT MPA_DRAIN_BYTES

typedef struct Handle {
  Mpa *a;  // NULL once closed
  int connectionsFd;
  int subflowsFd;
  // the first failed write (its errno, and the file's role), thrown when the call returns
  int writeErr;
  const char *writeRole;
  // the config's lists, kept for as long as the analyzer (mpa_new may point into them)
  MpaCidr *wifi;
  MpaCidr *cellular;
} Handle;

static void free_handle(Handle *h) {
  if (h->a) mpa_free(h->a);
  h->a = NULL;
  free(h->wifi);
  free(h->cellular);
  h->wifi = h->cellular = NULL;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  Handle *h = data;
  free_handle(h);
  free(h);
}

// ---- arguments ---------------------------------------------------------------------------------

static int get_num(napi_env env, napi_value obj, const char *name, double *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_double(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "config.%s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

// config[name], a list of { w: [4 words], prefix }, into a malloc'ed array (NULL for an empty list)
static int get_cidrs(napi_env env, napi_value config, const char *name, MpaCidr **out, int *count) {
  *out = NULL;
  *count = 0;
  char msg[160];
  snprintf(msg, sizeof msg, "config.%s must be a list of { w: [4 words], prefix }", name);
  napi_value list;
  bool isArray = false;
  uint32_t n = 0;
  if (napi_get_named_property(env, config, name, &list) != napi_ok || napi_is_array(env, list, &isArray) != napi_ok || !isArray ||
      napi_get_array_length(env, list, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (n == 0) return 1;
  MpaCidr *cidrs = calloc(n, sizeof *cidrs);
  if (!cidrs) {
    napi_throw_error(env, NULL, "out of memory");
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item, w, word, prefix;
    bool wIsArray = false;
    uint32_t wLen = 0;
    int32_t p = 0;
    if (napi_get_element(env, list, i, &item) != napi_ok || napi_get_named_property(env, item, "w", &w) != napi_ok ||
        napi_is_array(env, w, &wIsArray) != napi_ok || !wIsArray || napi_get_array_length(env, w, &wLen) != napi_ok || wLen != 4 ||
        napi_get_named_property(env, item, "prefix", &prefix) != napi_ok || napi_get_value_int32(env, prefix, &p) != napi_ok || p < 0 || p > 128) {
      free(cidrs);
      napi_throw_type_error(env, NULL, msg);
      return 0;
    }
    for (uint32_t k = 0; k < 4; k++) {
      uint32_t x = 0;
      if (napi_get_element(env, w, k, &word) != napi_ok || napi_get_value_uint32(env, word, &x) != napi_ok) {
        free(cidrs);
        napi_throw_type_error(env, NULL, msg);
        return 0;
      }
      cidrs[i].w[k] = x;
    }
    cidrs[i].prefix = p;
  }
  *out = cidrs;
  *count = (int)n;
  return 1;
}

// config.proxyLog, when present: { text: Buffer, meta: Float64Array (MPA_PROXY_FIELDS per entry),
// tolerance }, read into c (mpa_new copies what it points to)
static int get_proxy_log(napi_env env, napi_value config, MpaConfig *c) {
  napi_value log, text, meta;
  napi_valuetype type = napi_undefined;
  if (napi_get_named_property(env, config, "proxyLog", &log) != napi_ok || napi_typeof(env, log, &type) != napi_ok) return 0;
  if (type == napi_undefined || type == napi_null) return 1;
  void *textData = NULL, *metaData = NULL;
  size_t textLen = 0, metaLen = 0;
  napi_typedarray_type metaType;
  if (type != napi_object || napi_get_named_property(env, log, "text", &text) != napi_ok || napi_get_buffer_info(env, text, &textData, &textLen) != napi_ok ||
      napi_get_named_property(env, log, "meta", &meta) != napi_ok ||
      napi_get_typedarray_info(env, meta, &metaType, &metaLen, &metaData, NULL, NULL) != napi_ok || metaType != napi_float64_array ||
      metaLen % MPA_PROXY_FIELDS != 0 || !get_num(env, log, "tolerance", &c->proxyTolerance)) {
    napi_throw_type_error(env, NULL, "config.proxyLog must be { text: Buffer, meta: Float64Array, tolerance }");
    return 0;
  }
  const double *m = metaData;
  for (size_t i = 0; i < metaLen; i += MPA_PROXY_FIELDS) {
    const int spans[3][2] = {{MPA_PM_CLIENT_OFF, MPA_PM_CLIENT_LEN}, {MPA_PM_TARGET_OFF, MPA_PM_TARGET_LEN}, {MPA_PM_PROXY_OFF, MPA_PM_PROXY_LEN}};
    for (int k = 0; k < 3; k++) {
      double off = m[i + spans[k][0]], len = m[i + spans[k][1]];
      if (len == -1 && k == 1) continue;
      if (!(off >= 0 && len >= 0 && off + len <= (double)textLen)) {
        napi_throw_range_error(env, NULL, "config.proxyLog: an entry's text lies outside the buffer");
        return 0;
      }
    }
  }
  c->proxyText = textData;
  c->proxyTextLen = textLen;
  c->proxyMeta = m;
  c->proxyCount = (int)(metaLen / MPA_PROXY_FIELDS);
  return 1;
}

static Handle *get_handle(napi_env env, napi_value v) {
  Handle *h = NULL;
  if (napi_get_value_external(env, v, (void **)&h) != napi_ok || !h) {
    napi_throw_type_error(env, NULL, "expected an analyzer handle");
    return NULL;
  }
  if (!h->a) {
    napi_throw_error(env, NULL, "the analyzer handle is closed");
    return NULL;
  }
  return h;
}

// The handle in argv[0] of a call with up to `n` arguments (argv filled in), or NULL after throwing.
static Handle *handle_args(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "expected an analyzer handle");
    return NULL;
  }
  return get_handle(env, argv[0]);
}

// The data of a typed array of the wanted type, or NULL.
static void *typed(napi_env env, napi_value value, napi_typedarray_type want, size_t *len) {
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, len, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

// ---- output ------------------------------------------------------------------------------------

// Writes all of b to fd (partial writes, EINTR) and empties it. After a failed write (kept in the
// handle) nothing more is written: the buffers are emptied, the analysis has failed.
static void write_out(Handle *h, MpaBuf *b, int fd, const char *role) {
  size_t done = 0;
  while (!h->writeErr && done < b->len) {
    ssize_t w = write(fd, b->p + done, b->len - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      h->writeErr = errno;
      h->writeRole = role;
    } else {
      done += (size_t)w;
    }
  }
  b->len = 0;
}

// Writes out each buffer that holds more than `above` bytes.
static void write_both(Handle *h, size_t above) {
  MpaBuf *c = mpa_connections_out(h->a);
  if (c->len > above) write_out(h, c, h->connectionsFd, "connections.jsonl");
  MpaBuf *s = mpa_subflows_out(h->a);
  if (s->len > above) write_out(h, s, h->subflowsFd, "subflows.jsonl");
}

// MpaConfig.drain: called by the analyzer whenever its connections buffer is full
static void drain(void *ctx) {
  write_both(ctx, 0);
}

// Throws the failed write, if any; 1 when there was none.
static int write_ok(napi_env env, Handle *h) {
  if (!h->writeErr) return 1;
  char what[64];
  snprintf(what, sizeof what, "write %s", h->writeRole);
  throw_errno(env, what, h->writeErr);
  return 0;
}

// ---- functions ---------------------------------------------------------------------------------

static napi_value an_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value config;
  napi_get_cb_info(env, info, &argc, &config, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, config, &type) != napi_ok || type != napi_object) {
    napi_throw_type_error(env, NULL, "expected a config object");
    return NULL;
  }
  MpaConfig c;
  memset(&c, 0, sizeof c);
  double connectionsFd, subflowsFd;
  if (!get_num(env, config, "graceSeconds", &c.graceSeconds) || !get_num(env, config, "idleSeconds", &c.idleSeconds) ||
      !get_num(env, config, "connectionsFd", &connectionsFd) || !get_num(env, config, "subflowsFd", &subflowsFd)) {
    return NULL;
  }
  if (!get_cidrs(env, config, "wifi", &c.wifi, &c.wifiCount)) return NULL;
  if (!get_cidrs(env, config, "cellular", &c.cellular, &c.cellularCount) || !get_proxy_log(env, config, &c)) {
    free(c.wifi);
    free(c.cellular);
    return NULL;
  }
  Handle *h = calloc(1, sizeof *h);
  if (!h) {
    free(c.wifi);
    free(c.cellular);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  h->wifi = c.wifi;
  h->cellular = c.cellular;
  h->connectionsFd = (int)connectionsFd;
  h->subflowsFd = (int)subflowsFd;
  c.drain = drain;
  c.drainCtx = h;
  h->a = mpa_new(&c);
  if (!h->a) {
    finalize_handle(env, h, NULL);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, h, finalize_handle, NULL, &handle) != napi_ok) {
    finalize_handle(env, h, NULL);
    napi_throw_error(env, NULL, "cannot create the analyzer handle");
    return NULL;
  }
  return handle;
}

static napi_value an_frames(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Handle *h = handle_args(env, info, argv, 5);
  if (!h) return NULL;
  void *bufData = NULL;
  size_t bufLen = 0, metaLen = 0, tsLen = 0;
  if (napi_get_buffer_info(env, argv[1], &bufData, &bufLen) != napi_ok) {
    napi_throw_type_error(env, NULL, "frames: expected a Buffer");
    return NULL;
  }
  const int32_t *meta = typed(env, argv[2], napi_int32_array, &metaLen);
  const double *ts = typed(env, argv[3], napi_float64_array, &tsLen);
  uint32_t count = 0;
  if (!meta || !ts || napi_get_value_uint32(env, argv[4], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "frames: expected (handle, Buffer, Int32Array, Float64Array, count)");
    return NULL;
  }
  if (count > metaLen / 4 || count > tsLen) {
    napi_throw_range_error(env, NULL, "frames: count is more than the arrays hold");
    return NULL;
  }
  const uint8_t *buf = bufData;
  Mpa *a = h->a;
  for (uint32_t i = 0; i < count; i++) {
    const int32_t *m = meta + 4 * i;
    int32_t off = m[0], caplen = m[1];
    if (off < 0 || caplen < 0 || (size_t)off + (size_t)caplen > bufLen) {
      napi_throw_range_error(env, NULL, "frames: a frame lies outside the buffer");
      return NULL;
    }
    mpa_frame(a, buf + off, caplen, (uint32_t)m[2], m[3], ts[i]);
  }
  write_both(h, FLUSH_AT);
  write_ok(env, h);
  return NULL;
}

// PcapRecords.scan() of analysis/capture/pcap.ts, whole: the records of a classic pcap file in
// buf[p, end) straight to the analyzer, with no call per record from JavaScript. It stops where the
// JavaScript loop stops (a record not whole, an implausible length or fraction, maxRecords) and
// leaves the same count and timestamps. params: SCAN_* below; times: recordTimes(1) of result.ts.
enum { SCAN_COUNT, SCAN_MAX_RECORDS, SCAN_LE, SCAN_TICK, SCAN_TICK_MAX, SCAN_RECORD_HEADER, SCAN_LINKTYPE, SCAN_FCS_BYTES, SCAN_MAX_CAPLEN, SCAN_MAX_WIRELEN, SCAN_PARAMS };
enum { TIMES_FIRST, TIMES_LAST, TIMES_EARLIEST_DROP, TIMES_LATEST_BEFORE_DROP, TIMES_LAST_SEC, TIMES_LENGTH };

static napi_value an_scan_pcap(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Handle *h = handle_args(env, info, argv, 6);
  if (!h) return NULL;
  void *bufData = NULL;
  size_t bufLen = 0, paramsLen = 0, timesLen = 0;
  double from = 0, to = 0;
  if (napi_get_buffer_info(env, argv[1], &bufData, &bufLen) != napi_ok || napi_get_value_double(env, argv[2], &from) != napi_ok ||
      napi_get_value_double(env, argv[3], &to) != napi_ok) {
    napi_throw_type_error(env, NULL, "scanPcap: expected (handle, Buffer, from, to, Float64Array, Float64Array)");
    return NULL;
  }
  double *params = typed(env, argv[4], napi_float64_array, &paramsLen);
  double *times = typed(env, argv[5], napi_float64_array, &timesLen);
  if (!params || !times || paramsLen < SCAN_PARAMS || timesLen < TIMES_LENGTH) {
    napi_throw_type_error(env, NULL, "scanPcap: expected the parameters and the times as Float64Arrays");
    return NULL;
  }
  if (!(from >= 0 && from <= to && to <= (double)bufLen)) {
    napi_throw_range_error(env, NULL, "scanPcap: the range lies outside the buffer");
    return NULL;
  }
  const uint8_t *buf = bufData;
  size_t p = (size_t)from, end = (size_t)to;
  double count = params[SCAN_COUNT], maxRecords = params[SCAN_MAX_RECORDS];
  int le = params[SCAN_LE] != 0;
  double tick = params[SCAN_TICK], tickMax = params[SCAN_TICK_MAX];
  size_t recordHeader = (size_t)params[SCAN_RECORD_HEADER];
  int linktype = (int)params[SCAN_LINKTYPE];
  uint32_t fcsBytes = (uint32_t)params[SCAN_FCS_BYTES];
  double maxCaplen = params[SCAN_MAX_CAPLEN], maxWirelen = params[SCAN_MAX_WIRELEN];
  Mpa *a = h->a;
  while (count < maxRecords && end - p >= recordHeader) {
    const uint8_t *r = buf + p;
    uint32_t caplen = mpa_load_u32(r + 8, le), wirelen = mpa_load_u32(r + 12, le);
    if (!(caplen <= maxCaplen && wirelen <= maxWirelen && (caplen <= wirelen || wirelen == 0))) break;
    size_t size = recordHeader + caplen;
    if (end - p < size) break;
    uint32_t sec = mpa_load_u32(r, le), frac = mpa_load_u32(r + 4, le);
    if (frac >= tickMax) break;
    double ts = (double)sec + (double)frac * tick;
    times[TIMES_LAST_SEC] = sec;
    if (count == 0) times[TIMES_FIRST] = ts;
    else if (ts < times[TIMES_LAST]) {
      // wentBack() of result.ts
      if (ts < times[TIMES_EARLIEST_DROP]) times[TIMES_EARLIEST_DROP] = ts;
      if (times[TIMES_LAST] > times[TIMES_LATEST_BEFORE_DROP]) times[TIMES_LATEST_BEFORE_DROP] = times[TIMES_LAST];
    }
    times[TIMES_LAST] = ts;
    count++;
    uint32_t cap = fcsBytes && caplen == wirelen && caplen >= fcsBytes ? caplen - fcsBytes : caplen;
    mpa_frame(a, r + recordHeader, (int)cap, wirelen, linktype, ts);
    p += size;
  }
  params[SCAN_COUNT] = count;
  write_both(h, FLUSH_AT);
  if (!write_ok(env, h)) return NULL;
  napi_value out;
  napi_create_double(env, (double)p, &out);
  return out;
}

static napi_value an_next_trace(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Handle *h = handle_args(env, info, argv, 1);
  if (!h) return NULL;
  mpa_next_trace(h->a);
  write_both(h, FLUSH_AT);
  write_ok(env, h);
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value value;
  napi_create_double(env, v, &value);
  napi_set_named_property(env, obj, name, value);
}

static napi_value up_down(napi_env env, MpaUpDown d) {
  napi_value obj;
  napi_create_object(env, &obj);
  set_num(env, obj, "up", d.up);
  set_num(env, obj, "down", d.down);
  return obj;
}

static napi_value num_array(napi_env env, const double *v, size_t n) {
  napi_value arr, x;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) {
    napi_create_double(env, v[i], &x);
    napi_set_element(env, arr, (uint32_t)i, x);
  }
  return arr;
}

static napi_value an_finish(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Handle *h = handle_args(env, info, argv, 1);
  if (!h) return NULL;
  mpa_finish_all(h->a);
  write_both(h, 0);
  if (!write_ok(env, h)) return NULL;
  const MpaSummary *s = mpa_summary(h->a);
  napi_value obj, arr, item, x;
  napi_create_object(env, &obj);
  set_num(env, obj, "read", s->read);
  set_num(env, obj, "tcp", s->tcp);
  set_num(env, obj, "notTcp", s->notTcp);
  set_num(env, obj, "truncated", s->truncated);
  set_num(env, obj, "malformed", s->malformed);
  set_num(env, obj, "total", s->total);
  set_num(env, obj, "mptcp", s->mptcp);
  set_num(env, obj, "tcpConns", s->tcpConns);
  set_num(env, obj, "fallback", s->fallback);
  set_num(env, obj, "established", s->established);
  set_num(env, obj, "failed", s->failed);
  set_num(env, obj, "empty", s->empty);
  set_num(env, obj, "handover", s->handover);
  set_num(env, obj, "subflows", s->subflows);
  napi_set_named_property(env, obj, "subtraceConnections", num_array(env, s->subtraceConnections, 4));
  napi_create_array_with_length(env, 4, &arr);
  for (uint32_t i = 0; i < 4; i++) napi_set_element(env, arr, i, up_down(env, s->subtraceBytes[i]));
  napi_set_named_property(env, obj, "subtraceBytes", arr);
  napi_set_named_property(env, obj, "counts", num_array(env, s->counts, 6));
  napi_create_array_with_length(env, (size_t)s->portCount, &arr);
  for (int i = 0; i < s->portCount; i++) {
    const MpaPortCount *p = &s->ports[i];
    napi_create_array_with_length(env, 4, &item);
    if (!p->hasPort) napi_get_null(env, &x);
    else napi_create_double(env, p->port, &x);
    napi_set_element(env, item, 0, x);
    napi_create_double(env, p->connections, &x);
    napi_set_element(env, item, 1, x);
    napi_create_double(env, p->bytes.up, &x);
    napi_set_element(env, item, 2, x);
    napi_create_double(env, p->bytes.down, &x);
    napi_set_element(env, item, 3, x);
    napi_set_element(env, arr, (uint32_t)i, item);
  }
  napi_set_named_property(env, obj, "ports", arr);
  napi_set_named_property(env, obj, "bytes", up_down(env, s->bytes));
  napi_set_named_property(env, obj, "uniqueBytes", up_down(env, s->uniqueBytes));
  napi_set_named_property(env, obj, "retransmittedBytes", up_down(env, s->retransmittedBytes));
  napi_set_named_property(env, obj, "reinjectedBytes", up_down(env, s->reinjectedBytes));
  set_num(env, obj, "proxyLogMatched", s->proxyLogMatched);
  return obj;
}

static napi_value an_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Handle *h = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h) {
    napi_throw_type_error(env, NULL, "expected an analyzer handle");
    return NULL;
  }
  free_handle(h);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, an_open, NULL, NULL, NULL, napi_default, NULL},
      {"frames", NULL, an_frames, NULL, NULL, NULL, napi_default, NULL},
      {"scanPcap", NULL, an_scan_pcap, NULL, NULL, NULL, napi_default, NULL},
      {"nextTrace", NULL, an_next_trace, NULL, NULL, NULL, napi_default, NULL},
      {"finish", NULL, an_finish, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, an_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
