// Opening one port on several local addresses, as the UDP and the TCP mux both do: with port 0 the first address
// picks an ephemeral port and the others follow it; if that port is taken on another address, all is closed and
// a new port is tried (a few times).

/** Something opened on one address; `port` is the port it got. */
export interface PortOpening {
  readonly port: number;
  close(): Promise<void>;
}

export async function openOnSamePort<T extends PortOpening>(
  addresses: string[],
  port: number,
  open: (address: string, port: number) => Promise<T>,
): Promise<T[]> {
  const attempts = port === 0 ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const opened: T[] = [];
    try {
      let chosen = port;
      for (const address of addresses) {
        const one = await open(address, chosen);
        opened.push(one);
        if (chosen === 0) chosen = one.port;
      }
      return opened;
    } catch (err) {
      lastError = err;
      await Promise.all(opened.map((o) => o.close()));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
