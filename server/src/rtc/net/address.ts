// A remote transport address as werift and the port mux pass it around. Its own module so the packet
// writers (fastpath/egress.ts) and the mux that owns them (udpMux.ts) do not import each other.
export type Address = [host: string, port: number];
