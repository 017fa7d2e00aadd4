// Node slices small Buffers (allocUnsafe, from, concat) out of shared 8 KB slabs, and one long-lived slice pins its
// whole slab: each session's DTLS secrets, SRTP keys and the handshake messages werift keeps pinned about 20 KB of
// slabs otherwise full of garbage packets. A process that holds sessions uses 256-byte slabs instead (measured:
// external memory per audio session 30–58 KB → 21 KB at 300 sessions with 1 KB slabs, → 8 KB with 256 bytes: each
// session's SRTP contexts alone held 32 small keys, salts and tags in about 11 slabs). Buffers under 128 bytes are
// still pooled; the packet path does not allocate Buffers with the native addon (egress arenas, batched receive).
export const SESSION_BUFFER_POOL_BYTES = 256;

/** Shrinks this process's Buffer slabs (never grows them); MM_CALLS_RTC_BUFFER_POOL=default keeps Node's. */
export function useSessionBufferPool(): void {
  if (process.env.MM_CALLS_RTC_BUFFER_POOL === 'default') return;
  if (Buffer.poolSize > SESSION_BUFFER_POOL_BYTES) Buffer.poolSize = SESSION_BUFFER_POOL_BYTES;
}
