// What the addon's two source files share: rtc_native.c (keys, batched sends and receives, N-API helpers) and
// routes.c (audio forwarded without JS).
#ifndef CALLS_RTC_NATIVE_H
#define CALLS_RTC_NATIVE_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define TAG_LENGTH 16
#define IV_LENGTH 12
#define RTP_HEADER_LENGTH 12

typedef struct gcm_key gcm_key;

/** The key with this id, NULL if there is none. */
gcm_key *key_at(int32_t id);
/** Three 32-bit words, big-endian, into 12 bytes (an IV, an RTP header). */
void put_be_words(uint8_t out[12], uint32_t w0, uint32_t w1, uint32_t w2);
/** buf[0, aad) authenticated; len plaintext bytes at src (NULL: in place) encrypted to buf[aad]; tag after them. */
int seal(gcm_key *k, uint8_t *buf, int aad, int len, const uint8_t iv[IV_LENGTH], const uint8_t *src);
/** Opens buf[0, end) in place (tag last); 0, buffer untouched, if forged. */
int open_packet(gcm_key *k, uint8_t *buf, int aad, int end, const uint8_t iv[IV_LENGTH]);

struct mmsghdr;
/** Sends n datagrams with sendmmsg, dropping any the kernel refuses (and going on); returns how many it refused. */
int send_all(int fd, struct mmsghdr *msgs, int n);

napi_value throw_error(napi_env env, const char *msg);
size_t get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t n, void **data);
int get_i32(napi_env env, napi_value v, int32_t *out);
napi_value make_i32(napi_env env, int32_t v);
napi_value make_bool(napi_env env, int v);

// routes.c
/**
 * A datagram receiver `receiver` read from ip:port: forwarded here if it is audio of an installed route (1), else 0
 * and it goes to JS untouched. `packet` is the receive slot, decrypted in place when taken.
 */
int route_take(int32_t receiver, uint8_t *packet, size_t length, uint32_t ip, uint16_t port);
/** Sends what route_take queued (at the end of every poll phase, before JS gets the rest). */
void route_flush(void);
void route_cleanup(napi_env env);
napi_value route_set(napi_env env, napi_callback_info info);
napi_value route_delete(napi_env env, napi_callback_info info);
napi_value route_stats(napi_env env, napi_callback_info info);

#endif
