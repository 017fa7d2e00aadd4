// Node slices small Buffers (allocUnsafe, from, concat) out of shared 8 KB slabs, and one long-lived slice pins its
// whole slab: each session's DTLS secrets, SRTP keys and the handshake messages werift keeps pinned about 20 KB of
// slabs otherwise full of garbage packets. A process that holds sessions uses 1 KB slabs instead (measured: external
// memory per audio session 30–58 KB → 21 KB at 300 sessions); packets up to 512 bytes are still pooled.
export const SESSION_BUFFER_POOL_BYTES = 1024;

/** Shrinks this process's Buffer slabs (never grows them); MM_CALLS_RTC_BUFFER_POOL=default keeps Node's. */
export function useSessionBufferPool(): void {
  if (process.env.MM_CALLS_RTC_BUFFER_POOL === 'default') return;
  if (Buffer.poolSize > SESSION_BUFFER_POOL_BYTES) Buffer.poolSize = SESSION_BUFFER_POOL_BYTES;
}
