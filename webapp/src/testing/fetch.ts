// A scripted fetch for tests of code that calls the REST API: records each request and answers from a handler.
export interface FetchCall {
  url: string;
  method: string;
  body: unknown;
}

export type FetchReply = {status: number; body?: unknown};

export function mockFetch(handler: (call: FetchCall) => FetchReply = () => ({status: 200, body: {}})): {
  calls: FetchCall[];
  restore: () => void;
} {
  const calls: FetchCall[] = [];
  const g = globalThis as unknown as {fetch: unknown};
  const prev = g.fetch;
  g.fetch = jest.fn(async (url: string, init: {method: string; body?: string}) => {
    const call = {url, method: init.method, body: init.body ? JSON.parse(init.body) : undefined};
    calls.push(call);
    const r = handler(call);
    const text = r.body === undefined ? '' : JSON.stringify(r.body);
    return {ok: r.status < 400, status: r.status, statusText: String(r.status), text: async () => text};
  });
  return {calls, restore: () => (g.fetch = prev)};
}
