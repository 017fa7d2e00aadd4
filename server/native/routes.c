// Audio forwarded without JavaScript. At 10 users a call, one voice packet arrives per wake-up, and handing it to
// JS (a callback, the mux, the session, the fan-out) cost more than the kernel's work for its nine copies. For a
// stream JS has installed as a route (routeSet), the receive loop (rtc_native.c on_readable) passes each
// datagram here first: if it is RTP of the route's SSRC from the route's source on the route's socket and it
// authenticates, it is opened, its receive statistics and audio level recorded, and its copies written, sealed
// and queued for one sendmmsg when the poll phase ends. Anything else (another SSRC or source, RTCP, a forged or
// replayed packet) goes to JS untouched, where the same streams are handled by ingress.ts and fastWriter.ts.
//
// One copy of each stream's state: the route's blocks are JS Int32Arrays (fastpath/routeBlocks.ts has the layout)
// that the JS path reads and writes as well, so a packet may take either path and the numbering, replay window,
// statistics and counters stay one. JS keeps everything else: which writers a route has (routeSet again on every
// change, routeDelete when it must see the packets), each writer's transport state, reports, metrics and voice
// activity (it reads the blocks on its own timers).
#define _GNU_SOURCE
#include "rtc_native.h"
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

// Ingress block (one received stream): doubles first (as Float64 indexes), then 32-bit words. Must match
// fastpath/routeBlocks.ts.
#define F_RECEIVED_AT 0
#define F_LAST_ARRIVAL 1
#define F_BYTES 2
#define F_HEADER_BYTES 3
#define F_TAKEN_BYTES 4
#define F_OUT_BYTES 5
#define F_WRITE_SECONDS 6
#define F_JITTER_Q4 7
#define I_ROC 16
#define I_HIGHEST 17
#define I_BASE_SEQ 18
#define I_MAX_SEQ 19
#define I_CYCLES 20
#define I_RECEIVED 21
#define I_CLOCK_RATE 22
#define I_LAST_TS 23
#define I_LAST_TS_SET 24
#define I_STATS 25
#define I_PAUSED 26
#define I_LEVEL_ID 27
#define I_SALT0 28
#define I_SALT1 29
#define I_SALT2 30
#define I_TAKEN 32
#define I_PACKETS_OUT 33
#define I_LEVELS_WRITTEN 34
#define I_WRITE_SAMPLES 35
#define I_SEEN 40
#define REPLAY_WINDOW 128
#define I_LEVELS (I_SEEN + REPLAY_WINDOW)
#define LEVEL_RING 64
#define INGRESS_WORDS (I_LEVELS + LEVEL_RING)

// Writer block (one receiver's copy of a stream).
#define W_LAST_SEND_MS 0
#define W_STARTED 2
#define W_RESYNC 3
#define W_SEQ_OFFSET 4
#define W_TS_OFFSET 5
#define W_HIGHEST 6
#define W_ROC 7
#define W_LAST_TS 8
#define W_PACKETS 9
#define W_OCTETS 10
#define W_PT 11
#define W_CLOCK 12
#define W_SSRC 13
#define W_IV0 14
#define W_IV1 15
#define W_SALT2 16
#define W_KEY 17
#define W_IP 18
#define W_PORT 19
#define W_FD 20
#define W_RAND_SEQ 21
#define W_RAND_TS 22
#define W_SENT_COUNT 23
#define W_SENT 32
#define SENT_WINDOW 256
#define WRITER_WORDS (W_SENT + SENT_WINDOW)

/** One fan-out in this many is timed (rtc_rtp_tracks_writes_time), as forwarder.ts does. */
#define WRITE_TIME_SAMPLE 128
#define ROUTE_BUCKETS 1024
/** Copies queued before a send; the arena holds them (an audio copy is ≤ 1,500 bytes). */
#define SEND_MAX 256
#define SEND_ARENA (SEND_MAX * 1536)

typedef struct route {
  struct route *next;
  int32_t receiver;
  uint32_t ip;
  uint16_t port;
  uint32_t ssrc;
  int32_t key;
  int32_t *in;
  double *inf;
  napi_ref in_ref;
  int writers;
  int32_t **w;
  napi_ref *w_refs;
} route;

static route *buckets[ROUTE_BUCKETS];
static int32_t route_count = 0;
static napi_env routes_env = NULL;
/** Packets the routes forwarded, and copies the kernel refused (process totals). */
static double taken_total = 0;
static double send_failed = 0;

static struct {
  int fd;
  int n;
  size_t used;
  struct mmsghdr msgs[SEND_MAX];
  struct iovec iovs[SEND_MAX];
  struct sockaddr_in addrs[SEND_MAX];
  uint8_t arena[SEND_ARENA];
} out = {.fd = -1};

static uint32_t bucket_of(int32_t receiver, uint32_t ip, uint16_t port, uint32_t ssrc) {
  uint32_t h = ssrc * 0x9e3779b1u ^ ip * 0x85ebca6bu ^ ((uint32_t)port << 16 | (uint16_t)receiver) * 0xc2b2ae35u;
  return (h ^ (h >> 15)) & (ROUTE_BUCKETS - 1);
}

static route **find(int32_t receiver, uint32_t ip, uint16_t port, uint32_t ssrc) {
  route **p = &buckets[bucket_of(receiver, ip, port, ssrc)];
  for (; *p != NULL; p = &(*p)->next)
    if ((*p)->ssrc == ssrc && (*p)->ip == ip && (*p)->port == port && (*p)->receiver == receiver) return p;
  return p;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return floor((double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6);
}

static double monotonic_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/** JavaScript's ToInt32, for the one expression (jitter) where werift's arithmetic relies on it. */
static int32_t js_int32(double x) {
  if (!isfinite(x)) return 0;
  double m = fmod(trunc(x), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int32_t)(uint32_t)m;
}

static int uint16_gt(int32_t a, int32_t b) {
  return (a < b && b - a > 32768) || (a > b && a - b < 32768);
}

static uint16_t be16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/** werift's StreamStatistics.add as receiveStatistics.ts recordReceived makes it (RFC 3550 A.3, A.8). */
static void record_received(int32_t *s, double *f, int32_t seq, uint32_t ts, int header, int payload, double now) {
  int32_t max_seq = s[I_MAX_SEQ];
  int in_order = max_seq < 0 || uint16_gt(seq, max_seq);
  s[I_RECEIVED]++;
  f[F_BYTES] += payload;
  f[F_HEADER_BYTES] += header;
  f[F_RECEIVED_AT] = now;
  if (s[I_BASE_SEQ] < 0) s[I_BASE_SEQ] = seq;
  if (!in_order) return;
  double arrival = trunc((now / 1000.0) * (double)s[I_CLOCK_RATE]);
  if (max_seq >= 0 && seq < max_seq) s[I_CYCLES] += 1 << 16;
  s[I_MAX_SEQ] = seq;
  int ts_set = s[I_LAST_TS_SET];
  if (!(ts_set && (uint32_t)s[I_LAST_TS] == ts) && s[I_RECEIVED] > 1) {
    double last_arrival = isnan(f[F_LAST_ARRIVAL]) ? 0 : f[F_LAST_ARRIVAL];
    double last_ts = ts_set ? (double)(uint32_t)s[I_LAST_TS] : 0;
    double diff = fabs(arrival - last_arrival - ((double)ts - last_ts));
    double jitter = f[F_JITTER_Q4];
    f[F_JITTER_Q4] = jitter + (diff - (double)(js_int32(jitter + 8) >> 4));
  }
  f[F_LAST_ARRIVAL] = arrival;
  s[I_LAST_TS] = (int32_t)ts;
  s[I_LAST_TS_SET] = 1;
}

/** The audio level (RFC 6464) from a one-byte-header extension block, -1 if absent. */
static int audio_level(const uint8_t *d, int start, int end, int id) {
  int p = start;
  while (p < end) {
    uint8_t b = d[p];
    if (b == 0) {
      p++;
      continue;
    }
    int ext = b >> 4, len = (b & 0x0f) + 1;
    if (ext == 15) return -1;
    if (ext == id) return p + 1 < end ? d[p + 1] & 0x7f : -1;
    p += 1 + len;
  }
  return -1;
}

void route_flush(void) {
  if (out.n == 0) return;
  send_failed += send_all(out.fd, out.msgs, out.n);
  out.n = 0;
  out.used = 0;
}

/**
 * One receiver's copy, as FastWriter.write makes it: the source's numbering mapped into this stream's (continuous
 * across source switches), each packet index sealed once, then queued. 1 if queued.
 */
static int write_copy(int32_t *w, const uint8_t *payload, int length, int32_t in_seq, uint32_t in_ts, int marker,
                      double now) {
  double *wf = (double *)w;
  if (length == 0) return 0;
  if (!w[W_STARTED]) {
    w[W_STARTED] = 1;
    w[W_SEQ_OFFSET] = (w[W_RAND_SEQ] - in_seq) & 0xffff;
    w[W_TS_OFFSET] = (int32_t)((uint32_t)w[W_RAND_TS] - in_ts);
    w[W_HIGHEST] = (in_seq + w[W_SEQ_OFFSET] - 1) & 0xffff;
  } else if (w[W_RESYNC]) {
    w[W_RESYNC] = 0;
    double step = floor((now - wf[W_LAST_SEND_MS / 2]) * (double)w[W_CLOCK] / 1000.0 + 0.5);
    if (!(step >= 1)) step = 1;
    w[W_SEQ_OFFSET] = (w[W_HIGHEST] + 1 - in_seq) & 0xffff;
    w[W_TS_OFFSET] = (int32_t)((uint32_t)w[W_LAST_TS] + (uint32_t)fmod(step, 4294967296.0) - in_ts);
  }
  int32_t seq = (in_seq + w[W_SEQ_OFFSET]) & 0xffff;
  uint32_t ts = in_ts + (uint32_t)w[W_TS_OFFSET];
  int32_t highest = w[W_HIGHEST];
  int32_t delta = ((seq - highest + 0x8000) & 0xffff) - 0x8000;
  uint32_t roc = (uint32_t)w[W_ROC];
  if (delta > 0) {
    if (seq < highest) roc++;
  } else if (seq > highest && roc > 0) {
    roc--;
  }
  uint32_t index = roc * 65536u + (uint32_t)seq;
  int32_t *sent = w + W_SENT;
  if (delta <= 0 && (delta <= -SENT_WINDOW || (uint32_t)sent[seq & (SENT_WINDOW - 1)] == index)) return 0;
  sent[seq & (SENT_WINDOW - 1)] = (int32_t)index;
  if (delta > 0) {
    w[W_ROC] = (int32_t)roc;
    w[W_HIGHEST] = seq;
    w[W_LAST_TS] = (int32_t)ts;
    wf[W_LAST_SEND_MS / 2] = now;
  }
  w[W_PACKETS] = (int32_t)((uint32_t)w[W_PACKETS] + 1);
  w[W_OCTETS] = (int32_t)((uint32_t)w[W_OCTETS] + (uint32_t)length);
  gcm_key *k = key_at(w[W_KEY]);
  size_t wire = RTP_HEADER_LENGTH + (size_t)length + TAG_LENGTH;
  if (k == NULL || w[W_FD] < 0 || wire > 1536) {
    send_failed++;
    return 1;
  }
  if (out.n == SEND_MAX || (out.n > 0 && out.fd != w[W_FD])) route_flush();
  out.fd = w[W_FD];
  uint8_t *packet = out.arena + out.used;
  uint32_t h0 = 0x80000000u | (marker ? 0x800000u : 0) | ((uint32_t)w[W_PT] << 16) | (uint32_t)seq;
  put_be_words(packet, h0, ts, (uint32_t)w[W_SSRC]);
  uint8_t iv[IV_LENGTH];
  put_be_words(iv, (uint32_t)w[W_IV0], (uint32_t)w[W_IV1] ^ (roc >> 16),
               (((roc & 0xffff) << 16) | (uint32_t)seq) ^ (uint32_t)w[W_SALT2]);
  if (!seal(k, packet, RTP_HEADER_LENGTH, length, iv, payload)) {
    send_failed++;
    return 1;
  }
  struct sockaddr_in *a = &out.addrs[out.n];
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)w[W_PORT]);
  a->sin_addr.s_addr = htonl((uint32_t)w[W_IP]);
  out.iovs[out.n].iov_base = packet;
  out.iovs[out.n].iov_len = wire;
  memset(&out.msgs[out.n], 0, sizeof(out.msgs[out.n]));
  out.msgs[out.n].msg_hdr.msg_name = a;
  out.msgs[out.n].msg_hdr.msg_namelen = sizeof(*a);
  out.msgs[out.n].msg_hdr.msg_iov = &out.iovs[out.n];
  out.msgs[out.n].msg_hdr.msg_iovlen = 1;
  out.n++;
  out.used += (wire + 15) & ~(size_t)15;
  w[W_SENT_COUNT]++;
  return 1;
}

int route_take(int32_t receiver, uint8_t *d, size_t len, uint32_t ip, uint16_t port) {
  if (route_count == 0 || len < RTP_HEADER_LENGTH + TAG_LENGTH || len > 1500 || (d[0] & 0xc0) != 0x80) return 0;
  uint8_t pt = d[1] & 0x7f;
  if (pt >= 64 && pt <= 95) return 0;
  route *r = *find(receiver, ip, port, be32(d + 8));
  if (r == NULL) return 0;
  int32_t *s = r->in;
  double *f = r->inf;
  int end = (int)len;
  int header = RTP_HEADER_LENGTH + 4 * (d[0] & 0x0f);
  int ext_start = -1, ext_end = -1;
  if (d[0] & 0x10) {
    if (header + 4 > end) return 0;
    ext_start = header + 4;
    ext_end = ext_start + 4 * be16(d + header + 2);
    if (be16(d + header) != 0xbede) ext_start = -1;
    header = ext_end;
  }
  if (header + TAG_LENGTH > end) return 0;
  int32_t seq = be16(d + 2);
  // RFC 3711 §3.3.1 index estimate, as ingress.ts: v is the ROC the packet was sent with.
  int64_t roc = s[I_ROC], highest = s[I_HIGHEST];
  int64_t v = roc;
  if (highest < 32768) {
    if (seq - highest > 32768) v = roc - 1;
  } else if (highest - 32768 > seq) {
    v = roc + 1;
  }
  if (v < 0) return 0;
  int64_t index = v * 65536 + seq, newest = roc * 65536 + highest;
  int32_t *seen = s + I_SEEN;
  if (index <= newest - REPLAY_WINDOW || seen[index % REPLAY_WINDOW] == (int32_t)(uint32_t)index) return 0;
  gcm_key *k = key_at(r->key);
  if (k == NULL) return 0;
  uint32_t ssrc = r->ssrc;
  uint8_t iv[IV_LENGTH];
  put_be_words(iv, (ssrc >> 16) ^ (uint32_t)s[I_SALT0],
               (((ssrc & 0xffff) << 16) | ((uint32_t)v >> 16)) ^ (uint32_t)s[I_SALT1],
               ((((uint32_t)v & 0xffff) << 16) | (uint32_t)seq) ^ (uint32_t)s[I_SALT2]);
  if (!open_packet(k, d, header, end, iv)) return 0;
  seen[index % REPLAY_WINDOW] = (int32_t)(uint32_t)index;
  if (index > newest) {
    s[I_ROC] = (int32_t)v;
    s[I_HIGHEST] = seq;
  }
  uint32_t ts = be32(d + 4);
  int payload_end = end - TAG_LENGTH;
  if ((d[0] & 0x20) && payload_end > header) {
    payload_end -= d[payload_end - 1];
    if (payload_end < header) payload_end = header;
  }
  int length = payload_end - header;
  double now = now_ms();
  if (s[I_STATS]) record_received(s, f, seq, ts, header, length, now);
  taken_total++;
  s[I_TAKEN]++;
  f[F_TAKEN_BYTES] += length;
  if (s[I_PAUSED]) return 1;
  if (ext_start >= 0 && s[I_LEVEL_ID] >= 0) {
    int level = audio_level(d, ext_start, ext_end, s[I_LEVEL_ID]);
    if (level >= 0) {
      s[I_LEVELS + (uint32_t)s[I_LEVELS_WRITTEN] % LEVEL_RING] = level;
      s[I_LEVELS_WRITTEN]++;
    }
  }
  if (r->writers == 0) return 1;
  int timed = (uint32_t)s[I_TAKEN] % WRITE_TIME_SAMPLE == 0;
  double start = timed ? monotonic_seconds() : 0;
  int marker = (d[1] & 0x80) != 0;
  int sent = 0;
  for (int i = 0; i < r->writers; i++) sent += write_copy(r->w[i], d + header, length, seq, ts, marker, now);
  s[I_PACKETS_OUT] += sent;
  f[F_OUT_BYTES] += (double)sent * length;
  if (timed) {
    f[F_WRITE_SECONDS] = (monotonic_seconds() - start) / r->writers;
    s[I_WRITE_SAMPLES]++;
  }
  return 1;
}

static void route_free(napi_env env, route *r) {
  if (r->in_ref != NULL) napi_delete_reference(env, r->in_ref);
  for (int i = 0; i < r->writers; i++)
    if (r->w_refs[i] != NULL) napi_delete_reference(env, r->w_refs[i]);
  free(r->w);
  free(r->w_refs);
  free(r);
}

/** An Int32Array of at least `words` words on an 8-byte boundary (its doubles are read in place); NULL if not. */
static int32_t *block_of(napi_env env, napi_value v, size_t words) {
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array ||
      length < words || data == NULL || ((uintptr_t)data & 7) != 0)
    return NULL;
  return data;
}

static int read_address(napi_env env, napi_value *argv, int32_t *receiver, uint32_t *ip, int32_t *port, uint32_t *ssrc) {
  return get_i32(env, argv[0], receiver) && napi_get_value_uint32(env, argv[1], ip) == napi_ok &&
         get_i32(env, argv[2], port) && *port > 0 && *port <= 65535 && napi_get_value_uint32(env, argv[3], ssrc) == napi_ok;
}

/**
 * routeSet(receiver, ip, port, ssrc, key, ingress: Int32Array, writers: Int32Array[]): from now on RTP of `ssrc`
 * that receiver `receiver` reads from ip:port is opened with key `key` and forwarded to `writers` here. Replaces
 * the route's previous writers. The arrays are referenced until the route is replaced or deleted.
 */
napi_value route_set(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t receiver, port, key;
  uint32_t ip, ssrc, count = 0;
  bool is_array = false;
  if (get_args(env, info, argv, 7, NULL) < 7 || !read_address(env, argv, &receiver, &ip, &port, &ssrc) ||
      !get_i32(env, argv[4], &key) || napi_is_array(env, argv[6], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[6], &count) != napi_ok || count > 4096)
    return throw_error(env, "expected (receiver, ip, port, ssrc, key, ingress, writers[])");
  if (routes_env != NULL && routes_env != env) return throw_error(env, "routes belong to another thread");
  int32_t *in = block_of(env, argv[5], INGRESS_WORDS);
  if (in == NULL) return throw_error(env, "the ingress block is not an aligned Int32Array of INGRESS_WORDS");
  if (key_at(key) == NULL) return throw_error(env, "unknown GCM key id");
  route *r = calloc(1, sizeof(route));
  if (r != NULL && count > 0) {
    r->w = calloc(count, sizeof(int32_t *));
    r->w_refs = calloc(count, sizeof(napi_ref));
  }
  if (r == NULL || (count > 0 && (r->w == NULL || r->w_refs == NULL))) {
    if (r != NULL) route_free(env, r);
    return throw_error(env, "out of memory for a route");
  }
  r->receiver = receiver;
  r->ip = ip;
  r->port = (uint16_t)port;
  r->ssrc = ssrc;
  r->key = key;
  r->in = in;
  r->inf = (double *)in;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    int32_t *w = napi_get_element(env, argv[6], i, &element) == napi_ok ? block_of(env, element, WRITER_WORDS) : NULL;
    if (w == NULL || key_at(w[W_KEY]) == NULL) {
      route_free(env, r);
      return throw_error(env, "a writer block is not an aligned Int32Array of WRITER_WORDS with a key");
    }
    r->w[i] = w;
    napi_create_reference(env, element, 1, &r->w_refs[i]);
    r->writers++;
  }
  napi_create_reference(env, argv[5], 1, &r->in_ref);
  routes_env = env;
  route **p = find(receiver, ip, (uint16_t)port, ssrc);
  if (*p != NULL) {
    route *old = *p;
    r->next = old->next;
    route_free(env, old);
  } else {
    route_count++;
  }
  *p = r;
  return NULL;
}

/** routeDelete(receiver, ip, port, ssrc) → whether there was such a route; its packets go to JS from now on. */
napi_value route_delete(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t receiver, port;
  uint32_t ip, ssrc;
  if (get_args(env, info, argv, 4, NULL) < 4 || !read_address(env, argv, &receiver, &ip, &port, &ssrc))
    return throw_error(env, "expected (receiver, ip, port, ssrc)");
  if (routes_env != env) return make_bool(env, 0);
  route **p = find(receiver, ip, (uint16_t)port, ssrc);
  if (*p == NULL) return make_bool(env, 0);
  route *r = *p;
  *p = r->next;
  route_free(env, r);
  route_count--;
  return make_bool(env, 1);
}

/** routeStats() → [routes, packets forwarded here, copies the kernel refused]. */
napi_value route_stats(napi_env env, napi_callback_info info) {
  napi_value result, element;
  napi_create_array_with_length(env, 3, &result);
  double values[3] = {routes_env == env ? route_count : 0, taken_total, send_failed};
  for (uint32_t i = 0; i < 3; i++) {
    napi_create_double(env, values[i], &element);
    napi_set_element(env, result, i, element);
  }
  return result;
}

void route_cleanup(napi_env env) {
  if (routes_env != env) return;
  route_flush();
  for (int b = 0; b < ROUTE_BUCKETS; b++) {
    while (buckets[b] != NULL) {
      route *r = buckets[b];
      buckets[b] = r->next;
      route_free(env, r);
    }
  }
  route_count = 0;
  routes_env = NULL;
}
