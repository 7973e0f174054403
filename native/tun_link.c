// Packet I/O of a TUN device for mplab's link emulator (testbed/link/). The policy (delay, rate,
// loss, traces, outages) is decided in TypeScript; this addon only moves packets and keeps time:
//   - a reader thread reads packets from the TUN device and stamps their arrival (CLOCK_MONOTONIC);
//   - JavaScript takes the sizes and arrival times of new packets and gives back, in the same
//     order, each packet's verdict: drop, or write back at a given monotonic time;
//   - a writer thread writes each kept packet back into the same TUN device at its time, which
//     hands it to the kernel as if it had arrived on that device.
// Verdict times of one device never decrease (the scheduler keeps FIFO order), so one queue
// ordered by time suffices. The writer sleeps with 1 ns timer slack for sub-millisecond accuracy.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include "napi_errno.h"

#define PKT_CAP 2048          // TUN devices of the lab have MTU 1500; larger packets are dropped
#define READ_BATCH 64         // packets read per lock acquisition at most
#define DEFAULT_LIMIT 20000   // packets held at most (new + awaiting verdict + scheduled)

typedef struct pkt {
  struct pkt *next;
  double arrival;  // ms, CLOCK_MONOTONIC
  double release;  // ms, CLOCK_MONOTONIC
  uint32_t len;
  uint8_t data[PKT_CAP];
} pkt_t;

typedef struct {
  pkt_t *head, *tail;
  uint32_t count;
} queue_t;

typedef struct {
  int fd;
  int stopfd;  // eventfd that wakes the reader to stop
  char name[IFNAMSIZ];
  pthread_mutex_t lock;
  pthread_cond_t wake;  // writer: a packet was scheduled, or stop
  queue_t fresh;        // read, not yet taken by JavaScript
  queue_t awaiting;     // taken, verdict pending
  queue_t scheduled;    // verdict: write at ->release
  pkt_t *free_list;
  uint32_t free_count;
  uint32_t limit;
  int notified;  // JavaScript was told about fresh packets and has not taken them yet
  int stopping;
  int started;
  pthread_t reader, writer;
  napi_threadsafe_function tsfn;
  // counters
  uint64_t read_packets, read_bytes, written_packets, written_bytes, overflow, too_big, write_errors, dropped;
  double max_lateness;  // ms, how late the writer wrote a packet at most since the last stats()
} tun_t;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void q_push(queue_t *q, pkt_t *p) {
  p->next = NULL;
  if (q->tail) q->tail->next = p;
  else q->head = p;
  q->tail = p;
  q->count++;
}

static pkt_t *q_pop(queue_t *q) {
  pkt_t *p = q->head;
  if (!p) return NULL;
  q->head = p->next;
  if (!q->head) q->tail = NULL;
  q->count--;
  p->next = NULL;
  return p;
}

static pkt_t *alloc_pkt(tun_t *t) {
  pkt_t *p = t->free_list;
  if (p) {
    t->free_list = p->next;
    t->free_count--;
    return p;
  }
  return malloc(sizeof(pkt_t));
}

static void free_pkt(tun_t *t, pkt_t *p) {
  if (t->free_count < 4096) {
    p->next = t->free_list;
    t->free_list = p;
    t->free_count++;
  } else {
    free(p);
  }
}

// Packet timing must not wait behind the machine's other work: the I/O threads ask for a low
// real-time priority (they block between packets; the kernel's RT throttling bounds them). Without
// the privilege they stay ordinary threads.
static void realtime(void) {
  struct sched_param param = {.sched_priority = 1};
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

static void *reader_main(void *arg) {
  tun_t *t = arg;
  realtime();
  pkt_t *batch[READ_BATCH];
  struct pollfd fds[2] = {{.fd = t->fd, .events = POLLIN}, {.fd = t->stopfd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    int n = 0;
    while (n < READ_BATCH) {
      pthread_mutex_lock(&t->lock);
      pkt_t *p = alloc_pkt(t);
      pthread_mutex_unlock(&t->lock);
      if (!p) break;
      ssize_t len = read(t->fd, p->data, PKT_CAP);
      if (len <= 0) {
        pthread_mutex_lock(&t->lock);
        free_pkt(t, p);
        pthread_mutex_unlock(&t->lock);
        break;
      }
      p->len = (uint32_t)len;
      p->arrival = now_ms();
      batch[n++] = p;
    }
    if (n == 0) continue;
    int notify = 0;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < n; i++) {
      pkt_t *p = batch[i];
      t->read_packets++;
      t->read_bytes += p->len;
      uint32_t held = t->fresh.count + t->awaiting.count + t->scheduled.count;
      if (held >= t->limit) {
        t->overflow++;
        free_pkt(t, p);
      } else {
        q_push(&t->fresh, p);
      }
    }
    if (t->fresh.count > 0 && !t->notified) {
      t->notified = 1;
      notify = 1;
    }
    pthread_mutex_unlock(&t->lock);
    if (notify) napi_call_threadsafe_function(t->tsfn, NULL, napi_tsfn_nonblocking);
  }
  return NULL;
}

static void *writer_main(void *arg) {
  tun_t *t = arg;
  realtime();
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  pkt_t *due[READ_BATCH];
  pthread_mutex_lock(&t->lock);
  while (!t->stopping) {
    pkt_t *head = t->scheduled.head;
    if (!head) {
      pthread_cond_wait(&t->wake, &t->lock);
      continue;
    }
    double now = now_ms();
    if (head->release > now) {
      double at = head->release;
      struct timespec ts;
      ts.tv_sec = (time_t)(at / 1e3);
      ts.tv_nsec = (long)((at - (double)ts.tv_sec * 1e3) * 1e6);
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&t->wake, &t->lock, &ts);
      continue;
    }
    int n = 0;
    while (n < READ_BATCH && t->scheduled.head && t->scheduled.head->release <= now) {
      pkt_t *p = q_pop(&t->scheduled);
      if (now - p->release > t->max_lateness) t->max_lateness = now - p->release;
      due[n++] = p;
    }
    pthread_mutex_unlock(&t->lock);
    for (int i = 0; i < n; i++) {
      ssize_t w = write(t->fd, due[i]->data, due[i]->len);
      if (w < 0) due[i]->len = 0;  // counted below
    }
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < n; i++) {
      if (due[i]->len == 0) {
        t->write_errors++;
      } else {
        t->written_packets++;
        t->written_bytes += due[i]->len;
      }
      free_pkt(t, due[i]);
    }
  }
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

// ---- N-API glue ----

static tun_t *get_tun(napi_env env, napi_value v) {
  tun_t *t = NULL;
  if (napi_get_value_external(env, v, (void **)&t) != napi_ok || !t) {
    napi_throw_type_error(env, NULL, "expected a TUN handle");
    return NULL;
  }
  if (t->fd < 0) {
    napi_throw_error(env, NULL, "TUN handle is closed");
    return NULL;
  }
  return t;
}

// The handle in argv[0] of a call with up to `n` arguments (argv filled in), or NULL after throwing.
static tun_t *tun_args(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "expected a TUN handle");
    return NULL;
  }
  return get_tun(env, argv[0]);
}

// The data of a typed array of the wanted type, or NULL.
static void *typed(napi_env env, napi_value value, napi_typedarray_type want, size_t *len) {
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, len, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  if (env == NULL || js_cb == NULL) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 0, NULL, NULL);
}

static void stop_threads(tun_t *t) {
  if (!t->started) return;
  pthread_mutex_lock(&t->lock);
  t->stopping = 1;
  pthread_cond_broadcast(&t->wake);
  pthread_mutex_unlock(&t->lock);
  uint64_t one = 1;
  if (write(t->stopfd, &one, sizeof one) < 0) { /* the reader also stops when the fd closes */ }
  pthread_join(t->reader, NULL);
  pthread_join(t->writer, NULL);
  t->started = 0;
}

static void free_queue(queue_t *q) {
  pkt_t *p;
  while ((p = q_pop(q))) free(p);
}

static void close_tun(tun_t *t) {
  stop_threads(t);
  if (t->tsfn) {
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    t->tsfn = NULL;
  }
  if (t->fd >= 0) close(t->fd);
  if (t->stopfd >= 0) close(t->stopfd);
  t->fd = -1;
  t->stopfd = -1;
  free_queue(&t->fresh);
  free_queue(&t->awaiting);
  free_queue(&t->scheduled);
  while (t->free_list) {
    pkt_t *p = t->free_list;
    t->free_list = p->next;
    free(p);
  }
  t->free_count = 0;
}

static void finalize_tun(napi_env env, void *data, void *hint) {
  tun_t *t = data;
  close_tun(t);
  pthread_mutex_destroy(&t->lock);
  pthread_cond_destroy(&t->wake);
  free(t);
}

// open(ifname: string, limit?: number) -> handle. Attaches to the TUN device `ifname` of the
// calling process's network namespace (created if missing; the lab creates them persistent).
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ + 1];
  size_t nameLen = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nameLen) != napi_ok || nameLen == 0 ||
      nameLen >= IFNAMSIZ) {
    napi_throw_type_error(env, NULL, "ifname must be a string of 1 to 15 characters");
    return NULL;
  }
  uint32_t limit = DEFAULT_LIMIT;
  if (argc >= 2) {
    napi_valuetype type;
    napi_typeof(env, argv[1], &type);
    if (type == napi_number) napi_get_value_uint32(env, argv[1], &limit);
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, nameLen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    char what[64];
    snprintf(what, sizeof what, "TUNSETIFF %s", name);
    return throw_errno(env, what, err);
  }
  int stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stopfd < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "eventfd", err);
  }
  tun_t *t = calloc(1, sizeof *t);
  t->fd = fd;
  t->stopfd = stopfd;
  t->limit = limit > 0 ? limit : DEFAULT_LIMIT;
  memcpy(t->name, name, nameLen);
  pthread_mutex_init(&t->lock, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&t->wake, &attr);
  pthread_condattr_destroy(&attr);
  napi_value handle;
  napi_create_external(env, t, finalize_tun, NULL, &handle);
  return handle;
}

// start(handle, onPackets: () => void): starts the reader and writer threads. onPackets is called
// (on the JavaScript thread) when new packets wait to be taken.
static napi_value tun_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  tun_t *t = tun_args(env, info, argv, 2);
  if (!t) return NULL;
  if (t->started) {
    napi_throw_error(env, NULL, "already started");
    return NULL;
  }
  napi_value resource_name;
  napi_create_string_utf8(env, "mplab-tun", NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, resource_name, 0, 1, NULL, NULL, NULL, call_js, &t->tsfn) != napi_ok) {
    napi_throw_error(env, NULL, "cannot create the packet callback");
    return NULL;
  }
  t->stopping = 0;
  if (pthread_create(&t->reader, NULL, reader_main, t) != 0) return throw_errno(env, "pthread_create", errno);
  if (pthread_create(&t->writer, NULL, writer_main, t) != 0) return throw_errno(env, "pthread_create", errno);
  t->started = 1;
  return NULL;
}

// take(handle, sizes: Uint32Array, arrivals: Float64Array) -> n. Moves up to sizes.length new
// packets to "awaiting verdict" and fills in their sizes (bytes, IP header included) and arrival
// times (monotonic ms).
static napi_value tun_take(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  tun_t *t = tun_args(env, info, argv, 3);
  if (!t) return NULL;
  size_t n_sizes = 0, n_arrivals = 0;
  uint32_t *sizes = typed(env, argv[1], napi_uint32_array, &n_sizes);
  double *arrivals = typed(env, argv[2], napi_float64_array, &n_arrivals);
  if (!sizes || !arrivals) {
    napi_throw_type_error(env, NULL, "expected (handle, Uint32Array, Float64Array)");
    return NULL;
  }
  size_t cap = n_sizes < n_arrivals ? n_sizes : n_arrivals;
  uint32_t n = 0;
  pthread_mutex_lock(&t->lock);
  while (n < cap && t->fresh.head) {
    pkt_t *p = q_pop(&t->fresh);
    sizes[n] = p->len;
    arrivals[n] = p->arrival;
    q_push(&t->awaiting, p);
    n++;
  }
  if (!t->fresh.head) t->notified = 0;
  pthread_mutex_unlock(&t->lock);
  napi_value result;
  napi_create_uint32(env, n, &result);
  return result;
}

// verdict(handle, releases: Float64Array, n): the verdicts of the n oldest awaiting packets, in
// order: a monotonic time in ms to write the packet back at, or a negative number to drop it.
static napi_value tun_verdict(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  tun_t *t = tun_args(env, info, argv, 3);
  if (!t) return NULL;
  size_t len = 0;
  double *releases = typed(env, argv[1], napi_float64_array, &len);
  if (!releases) {
    napi_throw_type_error(env, NULL, "expected (handle, Float64Array, n)");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_value_uint32(env, argv[2], &n);
  if (n > len) n = (uint32_t)len;
  pthread_mutex_lock(&t->lock);
  int scheduled = 0;
  for (uint32_t i = 0; i < n; i++) {
    pkt_t *p = q_pop(&t->awaiting);
    if (!p) break;
    if (releases[i] < 0) {
      t->dropped++;
      free_pkt(t, p);
    } else {
      p->release = releases[i];
      q_push(&t->scheduled, p);
      scheduled = 1;
    }
  }
  if (scheduled) pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

// flush(handle) -> n: drops every packet scheduled but not yet written (an outage loses the
// packets in flight). Returns how many were dropped.
static napi_value tun_flush(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  tun_t *t = tun_args(env, info, argv, 1);
  if (!t) return NULL;
  uint32_t n = 0;
  pthread_mutex_lock(&t->lock);
  pkt_t *p;
  while ((p = q_pop(&t->scheduled))) {
    free_pkt(t, p);
    n++;
  }
  t->dropped += n;
  pthread_mutex_unlock(&t->lock);
  napi_value result;
  napi_create_uint32(env, n, &result);
  return result;
}

static void set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value value;
  napi_create_double(env, v, &value);
  napi_set_named_property(env, obj, name, value);
}

// stats(handle) -> counters since open; maxLatenessMs is reset by each call.
static napi_value tun_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  tun_t *t = tun_args(env, info, argv, 1);
  if (!t) return NULL;
  napi_value obj;
  napi_create_object(env, &obj);
  pthread_mutex_lock(&t->lock);
  set_num(env, obj, "readPackets", (double)t->read_packets);
  set_num(env, obj, "readBytes", (double)t->read_bytes);
  set_num(env, obj, "writtenPackets", (double)t->written_packets);
  set_num(env, obj, "writtenBytes", (double)t->written_bytes);
  set_num(env, obj, "droppedPackets", (double)t->dropped);
  set_num(env, obj, "overflowPackets", (double)t->overflow);
  set_num(env, obj, "writeErrors", (double)t->write_errors);
  set_num(env, obj, "queuedPackets", (double)(t->fresh.count + t->awaiting.count + t->scheduled.count));
  set_num(env, obj, "maxLatenessMs", t->max_lateness);
  t->max_lateness = 0;
  pthread_mutex_unlock(&t->lock);
  return obj;
}

static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tun_t *t = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&t) != napi_ok || !t) {
    napi_throw_type_error(env, NULL, "expected a TUN handle");
    return NULL;
  }
  close_tun(t);
  return NULL;
}

static napi_value mono_now(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_create_double(env, now_ms(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, tun_start, NULL, NULL, NULL, napi_default, NULL},
      {"take", NULL, tun_take, NULL, NULL, NULL, napi_default, NULL},
      {"verdict", NULL, tun_verdict, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, tun_flush, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, tun_stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, tun_close, NULL, NULL, NULL, napi_default, NULL},
      {"now", NULL, mono_now, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
