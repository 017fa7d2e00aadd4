// The two per-packet costs of forwarding that JavaScript cannot make cheap, as a small N-API addon:
//
//  - SRTP AEAD_AES_128_GCM (RFC 7714) with the key schedule kept per key. Node cannot re-IV a cipher,
//    and GHASH in JS costs ~200 ns per 16-byte block; OpenSSL's EVP (AES-NI, PCLMULQDQ) re-IVs a kept
//    context and seals a whole audio packet in about the time JS takes for one block. Node exports its
//    OpenSSL, so the addon links against the same library the process already runs.
//  - UDP sends batched with sendmmsg(2): one system call per event-loop turn instead of one per packet
//    (Node's dgram has no batched send). Packets are laid out by JS in one arena buffer with a descriptor
//    each; flush() seals the ones that ask for it, then sends them all.
//
// Beside them, trimHeap(): malloc_trim(0), which Node does not expose (see trim_heap), with heapFreeBytes() to
// tell when it is worth it, and udpReusePortSocket(): a UDP socket with SO_REUSEPORT, optionally connected, which
// Node 20's dgram cannot create (media workers receive their clients' datagrams on such sockets; see
// rtc/workers/directSockets.ts).
//
// And batched receives (recvOpen/recvClose): Node's dgram makes one libuv callback, one 64 KB allocation, one
// Buffer, one rinfo object and one MakeCallback (a microtask checkpoint) per datagram. Here each socket is
// watched with a uv_poll handle that drains it with recvmmsg(2); the datagrams of every socket read in one
// event-loop turn are packed into one staging buffer JS gave recvInit, described in its meta array, and handed to JS
// in one call when the poll phase ends (uv_check).
// A receiver can also count RTP streams instead of handing them over (recvCountRtp: a load-test client that
// counts a thousand peers' packets and checks one in N): their packets are counted here, one in N still goes to
// JS, and RTCP is dropped; JS reads the counts with recvCounted.
//
// Everything else is synchronous and runs on the JS thread; nothing keeps a reference to JS memory
// beyond a call but the receive callback, staging buffer and meta array, referenced until recvInit replaces them.
#define _GNU_SOURCE
#include "rtc_native.h"
#include <dlfcn.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>
#include <uv.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/** Words per packet descriptor; must match DESCRIPTOR_WORDS in egress.ts. */
#define DESC_WORDS 20
/** Datagrams per sendmmsg call. */
#define BATCH 256

// --- keys -------------------------------------------------------------------------------------------

// OpenSSL's GCM mode code (modes.h) over its AES-NI block and counter functions, called directly: a packet
// through EVP costs more in EVP's bookkeeping (re-initialising the context for each IV, looking the tag up as
// a parameter) than in AES and GHASH. Node exports these symbols; they are looked up when the addon loads and
// used only when all are there and the CPU has AES-NI and PCLMULQDQ, else every key goes through EVP.
typedef struct {
  uint32_t rd_key[60];
  int rounds;
} __attribute__((aligned(16))) aes_schedule; // OpenSSL's AES_KEY
typedef void (*block_fn)(const uint8_t in[16], uint8_t out[16], const void *key);
typedef void (*ctr_fn)(const uint8_t *in, uint8_t *out, size_t blocks, const void *key, const uint8_t ivec[16]);
static struct {
  int available;
  int enabled;
  int (*set_key)(const uint8_t *user_key, int bits, aes_schedule *key);
  block_fn encrypt;
  ctr_fn ctr32;
  void *(*gcm_new)(void *key, block_fn block);
  void (*gcm_release)(void *ctx);
  void (*gcm_setiv)(void *ctx, const uint8_t *iv, size_t len);
  int (*gcm_aad)(void *ctx, const uint8_t *aad, size_t len);
  int (*gcm_encrypt_ctr32)(void *ctx, const uint8_t *in, uint8_t *out, size_t len, ctr_fn stream);
  int (*gcm_decrypt_ctr32)(void *ctx, const uint8_t *in, uint8_t *out, size_t len, ctr_fn stream);
  void (*gcm_tag)(void *ctx, uint8_t *tag, size_t len);
  int (*gcm_finish)(void *ctx, const uint8_t *tag, size_t len);
} direct;

static void direct_lookup(void) {
#define FIND(field, name) *(void **)(&direct.field) = dlsym(RTLD_DEFAULT, name)
  FIND(set_key, "aesni_set_encrypt_key");
  FIND(encrypt, "aesni_encrypt");
  FIND(ctr32, "aesni_ctr32_encrypt_blocks");
  FIND(gcm_new, "CRYPTO_gcm128_new");
  FIND(gcm_release, "CRYPTO_gcm128_release");
  FIND(gcm_setiv, "CRYPTO_gcm128_setiv");
  FIND(gcm_aad, "CRYPTO_gcm128_aad");
  FIND(gcm_encrypt_ctr32, "CRYPTO_gcm128_encrypt_ctr32");
  FIND(gcm_decrypt_ctr32, "CRYPTO_gcm128_decrypt_ctr32");
  FIND(gcm_tag, "CRYPTO_gcm128_tag");
  FIND(gcm_finish, "CRYPTO_gcm128_finish");
#undef FIND
  int cpu = 0;
#if defined(__x86_64__)
  __builtin_cpu_init();
  cpu = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#endif
  direct.available = cpu && direct.set_key && direct.encrypt && direct.ctr32 && direct.gcm_new && direct.gcm_release &&
                     direct.gcm_setiv && direct.gcm_aad && direct.gcm_encrypt_ctr32 && direct.gcm_decrypt_ctr32 &&
                     direct.gcm_tag && direct.gcm_finish;
  direct.enabled = direct.available;
}

struct gcm_key {
  int used;
  // EVP keys: one context for each direction.
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
  // Direct keys: the AES key schedule and one GCM context (operations never interleave: one thread).
  aes_schedule *aes;
  void *gcm;
};

static gcm_key *keys = NULL;
static int32_t key_capacity = 0;
static int32_t *free_ids = NULL;
static int32_t free_count = 0;
static int32_t next_id = 0;

gcm_key *key_at(int32_t id) {
  if (id < 0 || id >= next_id || !keys[id].used) return NULL;
  return &keys[id];
}

void put_be_words(uint8_t out[12], uint32_t w0, uint32_t w1, uint32_t w2) {
  const uint32_t w[3] = {w0, w1, w2};
  for (int i = 0; i < 3; i++) {
    out[i * 4] = (uint8_t)(w[i] >> 24);
    out[i * 4 + 1] = (uint8_t)(w[i] >> 16);
    out[i * 4 + 2] = (uint8_t)(w[i] >> 8);
    out[i * 4 + 3] = (uint8_t)w[i];
  }
}

/**
 * buf[0, aad) authenticated; the len plaintext bytes at src (or at buf + aad when src is NULL) encrypted into
 * buf[aad, aad+len); tag written at buf[aad+len].
 */
int seal(gcm_key *k, uint8_t *buf, int aad, int len, const uint8_t iv[IV_LENGTH], const uint8_t *src) {
  if (k->gcm != NULL) {
    direct.gcm_setiv(k->gcm, iv, IV_LENGTH);
    if (aad > 0 && direct.gcm_aad(k->gcm, buf, (size_t)aad) != 0) return 0;
    if (len > 0 && direct.gcm_encrypt_ctr32(k->gcm, src ? src : buf + aad, buf + aad, (size_t)len, direct.ctr32) != 0)
      return 0;
    direct.gcm_tag(k->gcm, buf + aad + len, TAG_LENGTH);
    return 1;
  }
  int outl = 0;
  if (EVP_EncryptInit_ex(k->seal, NULL, NULL, NULL, iv) != 1) return 0;
  if (aad > 0 && EVP_EncryptUpdate(k->seal, NULL, &outl, buf, aad) != 1) return 0;
  if (len > 0 && EVP_EncryptUpdate(k->seal, buf + aad, &outl, src ? src : buf + aad, len) != 1) return 0;
  if (EVP_EncryptFinal_ex(k->seal, buf + aad + len, &outl) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(k->seal, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, buf + aad + len) == 1;
}

/** buf[0, aad) authenticated, ciphertext up to end-16, tag at end-16; decrypts in place only if the tag matches. */
int open_packet(gcm_key *k, uint8_t *buf, int aad, int end, const uint8_t iv[IV_LENGTH]) {
  int len = end - TAG_LENGTH - aad;
  int outl = 0;
  if (len < 0) return 0;
  // Decrypt into a scratch copy first: a forged packet must leave the datagram untouched.
  uint8_t scratch[2048];
  uint8_t *out = len <= (int)sizeof(scratch) ? scratch : malloc((size_t)len);
  if (out == NULL) return 0;
  int ok;
  if (k->gcm != NULL) {
    direct.gcm_setiv(k->gcm, iv, IV_LENGTH);
    ok = (aad == 0 || direct.gcm_aad(k->gcm, buf, (size_t)aad) == 0) &&
         (len == 0 || direct.gcm_decrypt_ctr32(k->gcm, buf + aad, out, (size_t)len, direct.ctr32) == 0) &&
         direct.gcm_finish(k->gcm, buf + end - TAG_LENGTH, TAG_LENGTH) == 0;
  } else {
    ok = EVP_DecryptInit_ex(k->open, NULL, NULL, NULL, iv) == 1 &&
         EVP_CIPHER_CTX_ctrl(k->open, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, buf + end - TAG_LENGTH) == 1 &&
         (aad == 0 || EVP_DecryptUpdate(k->open, NULL, &outl, buf, aad) == 1) &&
         (len == 0 || EVP_DecryptUpdate(k->open, out, &outl, buf + aad, len) == 1) &&
         EVP_DecryptFinal_ex(k->open, out + len, &outl) == 1;
  }
  if (ok) memcpy(buf + aad, out, (size_t)len);
  if (out != scratch) free(out);
  return ok;
}

// --- N-API helpers ------------------------------------------------------------------------------------

napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_CALLS_RTC_NATIVE", msg);
  return NULL;
}

/** Reads up to n arguments into argv (those not passed are undefined); returns how many the caller passed. */
size_t get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t n, void **data) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, NULL, data);
  return argc;
}

int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  int32_t i;
  if (napi_get_value_int32(env, v, &i) != napi_ok) return 0;
  *out = (uint32_t)i;
  return 1;
}

static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return 0;
  return napi_get_buffer_info(env, v, (void **)data, length) == napi_ok;
}

napi_value make_i32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value make_bool(napi_env env, int v) {
  napi_value out;
  napi_get_boolean(env, v != 0, &out);
  return out;
}

/** [a, b]: the two counts some calls return. */
static napi_value number_pair(napi_env env, double a, double b) {
  napi_value result, first, second;
  napi_create_array_with_length(env, 2, &result);
  napi_create_double(env, a, &first);
  napi_create_double(env, b, &second);
  napi_set_element(env, result, 0, first);
  napi_set_element(env, result, 1, second);
  return result;
}

static void key_release(gcm_key *k) {
  EVP_CIPHER_CTX_free(k->seal);
  EVP_CIPHER_CTX_free(k->open);
  if (k->gcm != NULL) direct.gcm_release(k->gcm);
  if (k->aes != NULL) {
    // The key schedule is key material: cleared before the memory goes back.
    memset(k->aes, 0, sizeof(aes_schedule));
    free(k->aes);
  }
  *k = (gcm_key){0, NULL, NULL, NULL, NULL};
}

/**
 * gcmDirect(enable?: boolean) → whether keys created from now on use the direct AES-NI path (tests compare
 * both paths; it cannot be enabled where it is not available).
 */
static napi_value gcm_direct(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = get_args(env, info, argv, 1, NULL);
  bool enable;
  if (argc >= 1 && napi_get_value_bool(env, argv[0], &enable) == napi_ok) direct.enabled = enable && direct.available;
  return make_bool(env, direct.enabled);
}

// --- exported functions -------------------------------------------------------------------------------

/** gcmCreate(key: Buffer(16)) → id */
static napi_value gcm_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint8_t *key;
  size_t key_length;
  if (get_args(env, info, argv, 1, NULL) < 1 || !get_bytes(env, argv[0], &key, &key_length) || key_length != 16)
    return throw_error(env, "gcmCreate needs a 16-byte key");
  gcm_key made = {1, NULL, NULL, NULL, NULL};
  if (direct.enabled) {
    made.aes = aligned_alloc(16, sizeof(aes_schedule));
    if (made.aes == NULL || direct.set_key(key, 128, made.aes) != 0 || (made.gcm = direct.gcm_new(made.aes, direct.encrypt)) == NULL) {
      free(made.aes);
      return throw_error(env, "OpenSSL could not set up AES-128-GCM");
    }
  } else {
    made.seal = EVP_CIPHER_CTX_new();
    made.open = EVP_CIPHER_CTX_new();
    if (made.seal == NULL || made.open == NULL || EVP_EncryptInit_ex(made.seal, EVP_aes_128_gcm(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(made.open, EVP_aes_128_gcm(), NULL, key, NULL) != 1) {
      key_release(&made);
      return throw_error(env, "OpenSSL could not set up AES-128-GCM");
    }
  }
  int32_t id;
  if (free_count > 0) {
    id = free_ids[--free_count];
  } else {
    if (next_id == key_capacity) {
      int32_t capacity = key_capacity == 0 ? 64 : key_capacity * 2;
      gcm_key *grown = realloc(keys, sizeof(gcm_key) * (size_t)capacity);
      int32_t *grown_free = realloc(free_ids, sizeof(int32_t) * (size_t)capacity);
      if (grown != NULL) keys = grown;
      if (grown_free != NULL) free_ids = grown_free;
      if (grown == NULL || grown_free == NULL) {
        key_release(&made);
        return throw_error(env, "out of memory for GCM keys");
      }
      key_capacity = capacity;
    }
    id = next_id++;
  }
  keys[id] = made;
  return make_i32(env, id);
}

/** gcmFree(id) */
static napi_value gcm_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t id;
  if (get_args(env, info, argv, 1, NULL) < 1 || !get_i32(env, argv[0], &id)) return throw_error(env, "gcmFree needs a key id");
  gcm_key *k = key_at(id);
  if (k == NULL) return NULL;
  key_release(k);
  free_ids[free_count++] = id;
  return NULL;
}

/* The registration data of gcmSeal and gcmOpen: one function serves both, told which by the address it gets. */
static const char SEAL_MODE = 's', OPEN_MODE = 'o';

/**
 * gcmSeal(id, buf, aadLength, length, iv0, iv1, iv2): seals in place, the tag after the payload.
 * gcmOpen(id, buf, aadLength, end, iv0, iv1, iv2) → false (buffer untouched) if the tag does not match.
 */
static napi_value gcm_packet(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  void *mode;
  int32_t id, aad, n;
  uint8_t *buf;
  size_t length;
  uint32_t w0, w1, w2;
  if (get_args(env, info, argv, 7, &mode) < 7 || !get_i32(env, argv[0], &id) || !get_bytes(env, argv[1], &buf, &length) ||
      !get_i32(env, argv[2], &aad) || !get_i32(env, argv[3], &n) || !get_u32(env, argv[4], &w0) || !get_u32(env, argv[5], &w1) ||
      !get_u32(env, argv[6], &w2)) {
    return throw_error(env, "expected (id, buffer, aadLength, length, iv0, iv1, iv2)");
  }
  int open = mode == &OPEN_MODE;
  if (open) {
    // A datagram too short for its header and tag is the client's mistake, not ours: open() says false.
    if (aad < 0 || n < aad + TAG_LENGTH || (size_t)n > length) n = -1;
  } else if (aad < 0 || n < 0 || (size_t)aad + (size_t)n + TAG_LENGTH > length) {
    return throw_error(env, "packet lengths exceed the buffer");
  }
  gcm_key *k = key_at(id);
  if (k == NULL) return throw_error(env, "unknown GCM key id");
  uint8_t iv[IV_LENGTH];
  put_be_words(iv, w0, w1, w2);
  if (open) return make_bool(env, n >= 0 && open_packet(k, buf, aad, n, iv));
  if (!seal(k, buf, aad, n, iv, NULL)) return throw_error(env, "AES-GCM seal failed");
  return NULL;
}

int send_all(int fd, struct mmsghdr *msgs, int n) {
  int done = 0, refused = 0;
  while (done < n) {
    int r = sendmmsg(fd, msgs + done, (unsigned int)(n - done), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // The datagram at `done` was refused (full buffer, unreachable peer): drop it, send the rest.
      refused++;
      done++;
      continue;
    }
    done += r;
  }
  return refused;
}

/**
 * flush(fd, arena: Buffer, descriptors: Int32Array, count) → [sent, failed]. Descriptor words:
 * 0 offset, 1 length on the wire, 2 key id (-1: send as is), 3 AAD length, 4–6 IV words,
 * 7 family (4 | 6), 8 port, 9–12 address (big-endian words; IPv4 uses word 9),
 * 13 where the plaintext payload is (-1: in place, after the AAD), 14–16 the 12-byte RTP header written
 * at the offset first (only with word 13: one payload copy serves every receiver of a fan-out).
 */
static napi_value flush(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, count;
  uint8_t *arena;
  size_t arena_length;
  napi_typedarray_type type;
  size_t desc_length;
  void *desc_data;
  if (get_args(env, info, argv, 4, NULL) < 4 || !get_i32(env, argv[0], &fd) || !get_bytes(env, argv[1], &arena, &arena_length) ||
      napi_get_typedarray_info(env, argv[2], &type, &desc_length, &desc_data, NULL, NULL) != napi_ok || type != napi_int32_array ||
      !get_i32(env, argv[3], &count) || count < 0 || (size_t)count * DESC_WORDS > desc_length) {
    return throw_error(env, "expected (fd, arena, descriptors, count)");
  }
  const int32_t *desc = desc_data;
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  struct sockaddr_in6 addrs[BATCH];
  int32_t sent = 0, failed = 0;
  int i = 0;
  while (i < count) {
    int n = 0;
    for (; i < count && n < BATCH; i++) {
      const int32_t *d = desc + (size_t)i * DESC_WORDS;
      int32_t off = d[0], len = d[1], key = d[2], aad = d[3];
      if (off < 0 || len <= 0 || (size_t)off + (size_t)len > arena_length) {
        failed++;
        continue;
      }
      uint8_t *packet = arena + off;
      if (key >= 0) {
        gcm_key *k = key_at(key);
        uint8_t iv[IV_LENGTH];
        put_be_words(iv, (uint32_t)d[4], (uint32_t)d[5], (uint32_t)d[6]);
        int plain = len - aad - TAG_LENGTH;
        // A fan-out copy: the RTP header from words 14-16, the payload sealed from the one copy at word 13.
        const uint8_t *src = NULL;
        int32_t src_off = d[13];
        if (src_off >= 0) {
          if (aad != RTP_HEADER_LENGTH || plain < 0 || (size_t)src_off + (size_t)plain > arena_length) {
            failed++;
            continue;
          }
          src = arena + src_off;
          put_be_words(packet, (uint32_t)d[14], (uint32_t)d[15], (uint32_t)d[16]);
        }
        if (k == NULL || aad < 0 || plain < 0 || !seal(k, packet, aad, plain, iv, src)) {
          failed++;
          continue;
        }
      }
      memset(&addrs[n], 0, sizeof(addrs[n]));
      socklen_t addr_length;
      if (d[7] == 6) {
        addrs[n].sin6_family = AF_INET6;
        addrs[n].sin6_port = htons((uint16_t)d[8]);
        for (int w = 0; w < 4; w++) {
          uint32_t word = htonl((uint32_t)d[9 + w]);
          memcpy(&addrs[n].sin6_addr.s6_addr[w * 4], &word, 4);
        }
        addr_length = sizeof(struct sockaddr_in6);
      } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&addrs[n];
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)d[8]);
        a4->sin_addr.s_addr = htonl((uint32_t)d[9]);
        addr_length = sizeof(struct sockaddr_in);
      }
      iovs[n].iov_base = packet;
      iovs[n].iov_len = (size_t)len;
      memset(&msgs[n], 0, sizeof(msgs[n]));
      msgs[n].msg_hdr.msg_name = &addrs[n];
      msgs[n].msg_hdr.msg_namelen = addr_length;
      msgs[n].msg_hdr.msg_iov = &iovs[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      n++;
    }
    int refused = send_all(fd, msgs, n);
    sent += n - refused;
    failed += refused;
  }
  return number_pair(env, sent, failed);
}

// Gives the C heap's free memory back to the OS. glibc keeps what threads malloc'd and freed (V8's background
// compilers and markers, libuv's pool) in per-thread arenas, ~16 MB each after a start-up, and trims only the top of
// the main one by itself; malloc_trim(0) releases the free pages of every arena. False where there is no glibc.
static napi_value trim_heap(napi_env env, napi_callback_info info) {
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

// The bytes malloc holds free in all its arenas (mallinfo2's fordblks), -1 without glibc 2.33+. A trim does not
// change it (the pages of free chunks are released, the chunks stay free), so its growth since the last trim is
// what was freed since: what a trim can give back (heap-trim.ts).
static napi_value heap_free_bytes(napi_env env, napi_callback_info info) {
  double free_bytes = -1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  free_bytes = (double)mi.fordblks;
#endif
  napi_value result;
  napi_create_double(env, free_bytes, &result);
  return result;
}

// Blocks from `bytes` up are mapped on their own and unmapped when freed (mallopt M_MMAP_THRESHOLD). glibc's default
// starts at 128 KB and rises to the size of every mapped block freed, so after the first login's scrypt (16 MB, on
// libuv's pool) every later one was carved from a thread's arena, whose pages stayed with the process: ≈ 11 MB with
// 300 sessions, which malloc_trim did not give back. Setting it also stops the rise. False without glibc.
static napi_value set_mmap_threshold(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t bytes = 0;
  bool done = false;
  if (get_args(env, info, argv, 1, NULL) < 1 || !get_i32(env, argv[0], &bytes) || bytes < 4096 ||
      bytes > 32 * 1024 * 1024)
    return throw_error(env, "setMmapThreshold needs a size from 4 KB to 32 MB");
#ifdef __GLIBC__
  done = mallopt(M_MMAP_THRESHOLD, bytes) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, done, &result);
  return result;
}

/** Fills `out` from an IP literal and port; returns the address length, 0 if `host` is not a literal of `family`. */
static socklen_t make_sockaddr(int family, const char *host, int32_t port, struct sockaddr_in6 *out) {
  memset(out, 0, sizeof(*out));
  if (port < 0 || port > 65535) return 0;
  if (family == 6) {
    out->sin6_family = AF_INET6;
    out->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, host, &out->sin6_addr) == 1 ? sizeof(struct sockaddr_in6) : 0;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)out;
  a4->sin_family = AF_INET;
  a4->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? sizeof(struct sockaddr_in) : 0;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, "ERR_CALLS_RTC_SOCKET", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_value errno_value = make_i32(env, err);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/**
 * udpReusePortSocket(family: 4 | 6, address, port, remoteAddress?, remotePort?) → fd: a non-blocking,
 * close-on-exec UDP socket with SO_REUSEPORT bound to address:port and, given a remote, connected to it.
 * The caller owns the fd (dgram's bind({fd}) takes it over). Sockets of one user bound with SO_REUSEPORT
 * to the same address and port form a group; the kernel gives a datagram to the group's socket connected
 * to its source if there is one, else to an unconnected one.
 */
static napi_value udp_reuseport_socket(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = get_args(env, info, argv, 5, NULL);
  int32_t family, port, remote_port = 0;
  char host[INET6_ADDRSTRLEN + 1], remote[INET6_ADDRSTRLEN + 1];
  size_t host_length = 0, remote_length = 0;
  int connect_to = argc >= 5;
  napi_valuetype t4 = napi_undefined;
  if (connect_to) napi_typeof(env, argv[3], &t4);
  if (t4 == napi_undefined || t4 == napi_null) connect_to = 0;
  if (argc < 3 || !get_i32(env, argv[0], &family) || (family != 4 && family != 6) ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof(host), &host_length) != napi_ok || !get_i32(env, argv[2], &port) ||
      (connect_to && (napi_get_value_string_utf8(env, argv[3], remote, sizeof(remote), &remote_length) != napi_ok ||
                      !get_i32(env, argv[4], &remote_port)))) {
    return throw_error(env, "expected (family, address, port, remoteAddress?, remotePort?)");
  }
  struct sockaddr_in6 local_addr, remote_addr;
  socklen_t local_length = make_sockaddr(family, host, port, &local_addr);
  socklen_t remote_addr_length = connect_to ? make_sockaddr(family, remote, remote_port, &remote_addr) : 1;
  if (local_length == 0 || remote_addr_length == 0 || (connect_to && remote_port == 0)) {
    return throw_error(env, "udpReusePortSocket needs IP literals of the family and valid ports");
  }
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  const char *step = "setsockopt(SO_REUSEPORT)";
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) goto fail;
  if (family == 6) {
    step = "setsockopt(IPV6_V6ONLY)";
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) goto fail;
  }
  step = "bind";
  if (bind(fd, (struct sockaddr *)&local_addr, local_length) != 0) goto fail;
  if (connect_to) {
    step = "connect";
    if (connect(fd, (struct sockaddr *)&remote_addr, remote_addr_length) != 0) goto fail;
  }
  return make_i32(env, fd);
fail: {
  int err = errno;
  close(fd);
  return throw_errno(env, step, err);
}
}

// --- batched receive ---------------------------------------------------------------------------------

/** Datagrams per recvmmsg call; one slot each of the largest UDP payload, so nothing is ever truncated. */
#define RECV_BATCH 64
#define RECV_SLOT 65536
/** Words per received datagram in the meta array; must match META_WORDS in rtc/net/batchedReceive.ts. */
#define META_WORDS 9
/** Datagrams and bytes handed to JS in one call at most (a fuller turn makes more calls). */
#define PENDING_MAX 1024
#define PENDING_BYTES (256 * 1024)
/** recvmmsg calls per socket per poll callback: the rest waits for the next turn (level-triggered). */
#define RECV_ROUNDS 4

/** RTP streams one receiver counts instead of handing over (recvCountRtp). */
#define COUNTED_MAX 8

typedef struct {
  uint32_t ssrc;
  /** One packet in `every` still goes to JS; `since` counts the packets after the last one that did. */
  uint32_t every;
  uint32_t since;
  /** Packets that arrived while counting was on (recvCountGate). */
  double count;
} counted_stream;

typedef struct receiver {
  uv_poll_t poll;
  int32_t id;
  int fd;
  int closing;
  /** Wakes in a row with POLLERR that the drain did not explain (see on_readable). */
  int error_wakes;
  int counted_n;
  counted_stream counted[COUNTED_MAX];
  /** Lone SRTCP receiver reports are dropped here (recvDropReceiverReports), as the SFU's JS path drops them unread. */
  int drop_rr;
  struct receiver *next;
} receiver;

/** Whether counted streams' packets are counted now (recvCountGate; a load test's measurement window). */
static int count_gate = 1;

typedef struct {
  napi_env env;
  napi_ref callback;
  /** JS's staging buffer and meta array (recvInit), referenced so that `pending` and `meta` stay valid. */
  napi_ref staging_ref;
  napi_ref meta_ref;
  napi_async_context context;
  uv_check_t check;
  int check_started;
  receiver *receivers;
  int32_t next_receiver_id;
  uint8_t *slots;
  uint8_t *pending;
  int32_t *meta;
  int32_t pending_count;
  size_t pending_bytes;
  double truncated;
  /** Lone receiver reports dropped (recvDropReceiverReports). */
  double receiver_reports;
} recv_state;

static recv_state *rstate = NULL;

static void receiver_closed(uv_handle_t *handle) {
  receiver *r = handle->data;
  if (r->fd >= 0) close(r->fd);
  free(r);
}

/**
 * Hands the pending datagrams to JS: callback(count, bytes). They are in the staging buffer and meta array JS gave
 * recvInit, valid until the callback returns (it copies what it keeps): no JS object is made here per batch.
 */
static void flush_pending(recv_state *st) {
  if (st->pending_count == 0 || st->callback == NULL) {
    st->pending_count = 0;
    st->pending_bytes = 0;
    return;
  }
  napi_env env = st->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  int32_t count = st->pending_count;
  size_t bytes = st->pending_bytes;
  st->pending_count = 0;
  st->pending_bytes = 0;
  napi_value fn, recv, argv[2], result;
  if (napi_get_reference_value(env, st->callback, &fn) == napi_ok && fn != NULL) {
    argv[0] = make_i32(env, count);
    argv[1] = make_i32(env, (int32_t)bytes);
    napi_get_global(env, &recv);
    // MakeCallback semantics: nextTicks and microtasks run after it, as after a dgram 'message' event.
    napi_make_callback(env, st->context, recv, fn, 2, argv, &result);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void push_meta(recv_state *st, int32_t id, int32_t offset, int32_t length, const struct sockaddr_in6 *from) {
  int32_t *m = st->meta + (size_t)st->pending_count * META_WORDS;
  memset(m, 0, META_WORDS * sizeof(int32_t));
  m[0] = id;
  m[1] = offset;
  m[2] = length;
  if (from != NULL && from->sin6_family == AF_INET6) {
    m[3] = ntohs(from->sin6_port);
    m[4] = 6;
    for (int w = 0; w < 4; w++) {
      uint32_t word;
      memcpy(&word, &from->sin6_addr.s6_addr[w * 4], 4);
      m[5 + w] = (int32_t)ntohl(word);
    }
  } else if (from != NULL && from->sin6_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)from;
    m[3] = ntohs(a4->sin_port);
    m[4] = 4;
    m[5] = (int32_t)ntohl(a4->sin_addr.s_addr);
  }
  st->pending_count++;
}

/**
 * Whether a datagram stays here: RTCP (RFC 5761 packet types 192–223, read as payload types 64–95) once the
 * receiver counts streams, and RTP of a counted stream but one in `every`.
 */
static int counted_here(receiver *r, const uint8_t *d, size_t len) {
  if (r->counted_n == 0 || len < 12 || (d[0] & 0xc0) != 0x80) return 0;
  uint8_t pt = d[1] & 0x7f;
  if (pt >= 64 && pt <= 95) return 1;
  uint32_t ssrc = ((uint32_t)d[8] << 24) | ((uint32_t)d[9] << 16) | ((uint32_t)d[10] << 8) | d[11];
  for (int i = 0; i < r->counted_n; i++) {
    counted_stream *c = &r->counted[i];
    if (c->ssrc != ssrc) continue;
    if (count_gate) c->count++;
    if (++c->since >= c->every) {
      c->since = 0;
      return 0;
    }
    return 1;
  }
  return 0;
}

/**
 * Whether a datagram is one SRTCP packet holding exactly one receiver report (fastpath/ingress.ts
 * isLoneReceiverReport): its header is in the clear and its length tells the trailer (tag and index: 16 + 4 bytes
 * with AES-GCM, 10 + 4 with AES-CM; RTCP lengths are multiples of 4).
 */
static int lone_receiver_report(const uint8_t *d, size_t len) {
  if (len < 12 || (d[0] & 0xc0) != 0x80 || d[1] != 201) return 0;
  size_t trailer = len % 4 == 0 ? TAG_LENGTH + 4 : 14;
  return ((size_t)((d[2] << 8) | d[3]) + 1) * 4 == len - trailer;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  receiver *r = handle->data;
  recv_state *st = rstate;
  if (st == NULL || r->closing) return;
  int reported = 0;
  if (status < 0) {
    // libuv stops a poll handle on POLLERR. On a UDP socket that is a pending socket error (a connected socket's
    // ICMP port unreachable), which the next recvmmsg returns and clears: re-arm and drain. An error that does not
    // clear is reported after a few wakes and the socket is left stopped (JS closes it).
    if (++r->error_wakes > 3 || uv_poll_start(&r->poll, UV_READABLE, on_readable) != 0) {
      if (st->pending_count >= PENDING_MAX) flush_pending(st);
      push_meta(st, r->id, 0, status, NULL);
      return;
    }
  }
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iovs[RECV_BATCH];
  struct sockaddr_in6 from[RECV_BATCH];
  for (int round = 0; round < RECV_ROUNDS && !r->closing; round++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      iovs[i].iov_base = st->slots + (size_t)i * RECV_SLOT;
      iovs[i].iov_len = RECV_SLOT;
      memset(&msgs[i], 0, sizeof(msgs[i]));
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(r->fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      // A connected socket's ICMP error (ECONNREFUSED) or anything else: JS decides (uv error codes are -errno).
      int err = errno;
      if (st->pending_count >= PENDING_MAX) flush_pending(st);
      push_meta(st, r->id, 0, -err, NULL);
      reported = 1;
      break;
    }
    reported |= n > 0;
    for (int i = 0; i < n; i++) {
      size_t len = msgs[i].msg_len;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        st->truncated++;
        continue;
      }
      if (counted_here(r, iovs[i].iov_base, len)) continue;
      if (r->drop_rr && lone_receiver_report(iovs[i].iov_base, len)) {
        st->receiver_reports++;
        continue;
      }
      if (msgs[i].msg_hdr.msg_namelen == sizeof(struct sockaddr_in) && from[i].sin6_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&from[i];
        if (route_take(r->id, iovs[i].iov_base, len, ntohl(a4->sin_addr.s_addr), ntohs(a4->sin_port))) continue;
      }
      if (st->pending_count >= PENDING_MAX || st->pending_bytes + len > PENDING_BYTES) flush_pending(st);
      memcpy(st->pending + st->pending_bytes, iovs[i].iov_base, len);
      push_meta(st, r->id, (int32_t)st->pending_bytes, (int32_t)len, msgs[i].msg_hdr.msg_namelen > 0 ? &from[i] : NULL);
      st->pending_bytes += len;
    }
    if (n < RECV_BATCH) break;
  }
  if (reported) r->error_wakes = 0;
}

static void on_check(uv_check_t *handle) {
  route_flush();
  if (rstate != NULL) flush_pending(rstate);
}

static void close_receiver(receiver *r) {
  if (r->closing) return;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, receiver_closed);
}

static void recv_cleanup(void *arg) {
  recv_state *st = arg;
  route_cleanup(st->env);
  for (receiver *r = st->receivers; r != NULL; r = r->next) close_receiver(r);
  st->receivers = NULL;
  if (st->check_started) {
    uv_check_stop(&st->check);
    uv_close((uv_handle_t *)&st->check, NULL);
  }
  if (st->callback != NULL) napi_delete_reference(st->env, st->callback);
  if (st->staging_ref != NULL) napi_delete_reference(st->env, st->staging_ref);
  if (st->meta_ref != NULL) napi_delete_reference(st->env, st->meta_ref);
  if (st->context != NULL) napi_async_destroy(st->env, st->context);
  // The state and its receive slots stay: a close callback may still run; the process is ending. (The staging
  // buffer and meta array are JS's: nothing writes them once rstate is cleared.)
  rstate = NULL;
}

static recv_state *recv_state_for(napi_env env) {
  if (rstate != NULL) return rstate->env == env ? rstate : NULL;
  recv_state *st = calloc(1, sizeof(recv_state));
  if (st == NULL) return NULL;
  st->slots = malloc((size_t)RECV_BATCH * RECV_SLOT);
  uv_loop_t *loop = NULL;
  napi_value name;
  if (st->slots == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_string_utf8(env, "CallsBatchedReceive", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &st->context) != napi_ok) {
    free(st->slots);
    free(st);
    return NULL;
  }
  st->env = env;
  uv_check_init(loop, &st->check);
  uv_check_start(&st->check, on_check);
  // The check handle alone must not keep the process alive; the poll handles do, as sockets do.
  uv_unref((uv_handle_t *)&st->check);
  st->check_started = 1;
  napi_add_env_cleanup_hook(env, recv_cleanup, st);
  rstate = st;
  return st;
}

/**
 * recvInit(callback(count, bytes), staging: Buffer, meta: Int32Array): the one receiver of every batch of this
 * process. Each batch's datagrams are written into `staging` (at least PENDING_BYTES) and described in `meta` (at
 * least PENDING_MAX * META_WORDS words) before the callback runs.
 */
static napi_value recv_init(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  napi_valuetype t = napi_undefined;
  uint8_t *staging = NULL;
  size_t staging_length = 0;
  napi_typedarray_type meta_type;
  size_t meta_length = 0;
  void *meta = NULL;
  if (get_args(env, info, argv, 3, NULL) < 3 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function ||
      !get_bytes(env, argv[1], &staging, &staging_length) || staging_length < PENDING_BYTES ||
      napi_get_typedarray_info(env, argv[2], &meta_type, &meta_length, &meta, NULL, NULL) != napi_ok ||
      meta_type != napi_int32_array || meta_length < (size_t)PENDING_MAX * META_WORDS)
    return throw_error(env, "recvInit needs (function, Buffer of PENDING_BYTES, Int32Array of PENDING_MAX * META_WORDS)");
  recv_state *st = recv_state_for(env);
  if (st == NULL) return throw_error(env, "batched receive could not start (out of memory, or another thread has it)");
  if (st->callback != NULL) napi_delete_reference(env, st->callback);
  if (st->staging_ref != NULL) napi_delete_reference(env, st->staging_ref);
  if (st->meta_ref != NULL) napi_delete_reference(env, st->meta_ref);
  napi_create_reference(env, argv[0], 1, &st->callback);
  napi_create_reference(env, argv[1], 1, &st->staging_ref);
  napi_create_reference(env, argv[2], 1, &st->meta_ref);
  // What was pending was described in the old arrays: it is dropped, as for a socket closed in mid-turn.
  st->pending_count = 0;
  st->pending_bytes = 0;
  st->pending = staging;
  st->meta = meta;
  return NULL;
}

/**
 * recvOpen(fd, dup: boolean) → id: watches a non-blocking UDP socket; its datagrams reach recvInit's callback
 * tagged with the id. dup: the socket belongs to someone else (a dgram socket that still sends) and a duplicate
 * is watched (libuv allows one watcher per fd); otherwise the fd is taken over and closed by recvClose.
 */
static napi_value recv_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  bool dup_fd = false;
  if (get_args(env, info, argv, 2, NULL) < 2 || !get_i32(env, argv[0], &fd) || fd < 0 ||
      napi_get_value_bool(env, argv[1], &dup_fd) != napi_ok)
    return throw_error(env, "expected (fd, dup)");
  recv_state *st = recv_state_for(env);
  if (st == NULL || st->callback == NULL) return throw_error(env, "recvOpen before recvInit");
  int watched = dup_fd ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : fd;
  if (watched < 0) return throw_errno(env, "dup", errno);
  int flags = fcntl(watched, F_GETFL);
  if (flags < 0 || fcntl(watched, F_SETFL, flags | O_NONBLOCK) < 0) {
    int err = errno;
    if (dup_fd) close(watched);
    return throw_errno(env, "fcntl", err);
  }
  receiver *r = calloc(1, sizeof(receiver));
  uv_loop_t *loop = NULL;
  if (r == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(r);
    if (dup_fd) close(watched);
    return throw_error(env, "out of memory");
  }
  int rc = uv_poll_init_socket(loop, &r->poll, watched);
  if (rc == 0) {
    r->poll.data = r;
    r->fd = watched;
    rc = uv_poll_start(&r->poll, UV_READABLE, on_readable);
    if (rc != 0) {
      // Initialised: the handle must be closed; the fd goes with it.
      // Initialised, so the handle must be closed; the caller keeps an fd it passed without dup.
      r->fd = dup_fd ? watched : -1;
      r->closing = 1;
      uv_close((uv_handle_t *)&r->poll, receiver_closed);
      return throw_errno(env, "uv_poll_start", -rc);
    }
  } else {
    free(r);
    if (dup_fd) close(watched);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  r->fd = watched;
  r->id = ++st->next_receiver_id;
  r->next = st->receivers;
  st->receivers = r;
  return make_i32(env, r->id);
}

/** recvClose(id): stops watching; its datagrams still pending in this turn are delivered (JS drops them). */
static napi_value recv_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t id;
  if (get_args(env, info, argv, 1, NULL) < 1 || !get_i32(env, argv[0], &id)) return throw_error(env, "expected (id)");
  recv_state *st = rstate;
  if (st == NULL || st->env != env) return make_bool(env, 0);
  for (receiver **p = &st->receivers; *p != NULL; p = &(*p)->next) {
    if ((*p)->id != id) continue;
    receiver *r = *p;
    *p = r->next;
    close_receiver(r);
    return make_bool(env, 1);
  }
  return make_bool(env, 0);
}

static receiver *receiver_by_id(napi_env env, int32_t id) {
  if (rstate == NULL || rstate->env != env) return NULL;
  for (receiver *r = rstate->receivers; r != NULL; r = r->next)
    if (r->id == id) return r;
  return NULL;
}

/**
 * recvCountRtp(id, ssrc, every) → boolean: the receiver counts the stream's RTP from now on and hands one packet in
 * `every` to JS (and drops RTCP); false when the id is not open or it counts COUNTED_MAX streams already.
 */
static napi_value recv_count_rtp(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t id, every;
  uint32_t ssrc;
  if (get_args(env, info, argv, 3, NULL) < 3 || !get_i32(env, argv[0], &id) ||
      napi_get_value_uint32(env, argv[1], &ssrc) != napi_ok || !get_i32(env, argv[2], &every) || every < 1)
    return throw_error(env, "expected (id, ssrc, every >= 1)");
  receiver *r = receiver_by_id(env, id);
  if (r == NULL) return make_bool(env, 0);
  for (int i = 0; i < r->counted_n; i++)
    if (r->counted[i].ssrc == ssrc) {
      r->counted[i].every = (uint32_t)every;
      return make_bool(env, 1);
    }
  if (r->counted_n >= COUNTED_MAX) return make_bool(env, 0);
  counted_stream *c = &r->counted[r->counted_n++];
  memset(c, 0, sizeof(*c));
  c->ssrc = ssrc;
  c->every = (uint32_t)every;
  return make_bool(env, 1);
}

/** recvCounted(id, ssrc) → packets of a counted stream counted so far (0 when unknown). */
static napi_value recv_counted(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t id;
  uint32_t ssrc;
  if (get_args(env, info, argv, 2, NULL) < 2 || !get_i32(env, argv[0], &id) ||
      napi_get_value_uint32(env, argv[1], &ssrc) != napi_ok)
    return throw_error(env, "expected (id, ssrc)");
  receiver *r = receiver_by_id(env, id);
  double n = 0;
  if (r != NULL)
    for (int i = 0; i < r->counted_n; i++)
      if (r->counted[i].ssrc == ssrc) n = r->counted[i].count;
  napi_value out;
  napi_create_double(env, n, &out);
  return out;
}

/** recvCountGate(on): counted streams' packets are counted only while on (the default); they are still filtered. */
static napi_value recv_count_gate(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool on = true;
  if (get_args(env, info, argv, 1, NULL) < 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok)
    return throw_error(env, "expected (boolean)");
  count_gate = on ? 1 : 0;
  return NULL;
}

/** recvDropReceiverReports(id, on) → false when the id is not open: lone SRTCP receiver reports are dropped here. */
static napi_value recv_drop_receiver_reports(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t id;
  bool on = false;
  if (get_args(env, info, argv, 2, NULL) < 2 || !get_i32(env, argv[0], &id) || napi_get_value_bool(env, argv[1], &on) != napi_ok)
    return throw_error(env, "expected (id, boolean)");
  receiver *r = receiver_by_id(env, id);
  if (r == NULL) return make_bool(env, 0);
  r->drop_rr = on ? 1 : 0;
  return make_bool(env, 1);
}

/** recvStats() → [open receivers, datagrams dropped as truncated, lone receiver reports dropped]. */
static napi_value recv_stats(napi_env env, napi_callback_info info) {
  int32_t open = 0;
  double truncated = 0, receiver_reports = 0;
  if (rstate != NULL && rstate->env == env) {
    for (receiver *r = rstate->receivers; r != NULL; r = r->next) open++;
    truncated = rstate->truncated;
    receiver_reports = rstate->receiver_reports;
  }
  napi_value result = number_pair(env, open, truncated), third;
  napi_create_double(env, receiver_reports, &third);
  napi_set_element(env, result, 2, third);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  static int looked_up = 0;
  if (!looked_up) {
    looked_up = 1;
    direct_lookup();
  }
  napi_property_descriptor props[] = {
      {"gcmCreate", NULL, gcm_create, NULL, NULL, NULL, napi_default, NULL},
      {"gcmFree", NULL, gcm_free, NULL, NULL, NULL, napi_default, NULL},
      {"gcmDirect", NULL, gcm_direct, NULL, NULL, NULL, napi_default, NULL},
      {"gcmSeal", NULL, gcm_packet, NULL, NULL, NULL, napi_default, (void *)&SEAL_MODE},
      {"gcmOpen", NULL, gcm_packet, NULL, NULL, NULL, napi_default, (void *)&OPEN_MODE},
      {"flush", NULL, flush, NULL, NULL, NULL, napi_default, NULL},
      {"trimHeap", NULL, trim_heap, NULL, NULL, NULL, napi_default, NULL},
      {"heapFreeBytes", NULL, heap_free_bytes, NULL, NULL, NULL, napi_default, NULL},
      {"setMmapThreshold", NULL, set_mmap_threshold, NULL, NULL, NULL, napi_default, NULL},
      {"udpReusePortSocket", NULL, udp_reuseport_socket, NULL, NULL, NULL, napi_default, NULL},
      {"recvInit", NULL, recv_init, NULL, NULL, NULL, napi_default, NULL},
      {"recvOpen", NULL, recv_open, NULL, NULL, NULL, napi_default, NULL},
      {"recvClose", NULL, recv_close, NULL, NULL, NULL, napi_default, NULL},
      {"recvStats", NULL, recv_stats, NULL, NULL, NULL, napi_default, NULL},
      {"recvCountRtp", NULL, recv_count_rtp, NULL, NULL, NULL, napi_default, NULL},
      {"recvCounted", NULL, recv_counted, NULL, NULL, NULL, napi_default, NULL},
      {"recvCountGate", NULL, recv_count_gate, NULL, NULL, NULL, napi_default, NULL},
      {"recvDropReceiverReports", NULL, recv_drop_receiver_reports, NULL, NULL, NULL, napi_default, NULL},
      {"routeSet", NULL, route_set, NULL, NULL, NULL, napi_default, NULL},
      {"routeDelete", NULL, route_delete, NULL, NULL, NULL, napi_default, NULL},
      {"routeStats", NULL, route_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
