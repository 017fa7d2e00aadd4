// The tests' calls websocket client: the core socket (calls-socket.ts) plus what assertions need — every
// event and reply kept in order, waiting for an event by name, ping with its reply.
import {CALLS, CallsSocket, type Reply, type ServerEvent} from './calls-socket';

export {CALLS, type ConnectOptions, type Reply, type ServerEvent} from './calls-socket';
export {api, login, type LoggedIn} from './rest';

export class WsTestClient extends CallsSocket {
  readonly events: ServerEvent[] = [];
  readonly replies: Reply[] = [];
  /** How long waitFor waits when not told. */
  waitTimeoutMs = 5000;

  constructor(baseURL: string, token: string) {
    super(baseURL, token);
    this.on('event', (e: ServerEvent) => this.events.push(e));
    this.on('reply', (r: Reply) => this.replies.push(r));
  }

  /** Sends `ping` and resolves with its reply. */
  async ping(timeoutMs = 2000): Promise<Reply> {
    const seq = this.sendAction('ping');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('reply', onReply);
        reject(new Error('no ping reply'));
      }, timeoutMs);
      const onReply = (r: Reply) => {
        if (r.seq_reply !== seq) return;
        clearTimeout(timer);
        this.off('reply', onReply);
        resolve(r);
      };
      this.on('reply', onReply);
    });
  }

  /** Resolves with the first event (after index `since`) named `name` (calls events may be given by suffix; '' matches any). */
  waitFor(
    name: string,
    pred?: (e: ServerEvent) => boolean,
    timeoutMs = this.waitTimeoutMs,
    since = 0,
  ): Promise<ServerEvent> {
    const match = (e: ServerEvent) =>
      (name === '' || e.event === name || e.event === CALLS + name) && (!pred || pred(e));
    const found = this.events.slice(since).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onEvent = (e: ServerEvent) => {
        if (!match(e)) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(
          new Error(
            `timed out waiting for ${name}; got: ${this.events.map((e) => e.event.replace(CALLS, '')).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.on('event', onEvent);
    });
  }

  /** Events named `name` (calls suffix or full name) received so far. */
  received(name: string): ServerEvent[] {
    return this.events.filter((e) => e.event === name || e.event === CALLS + name);
  }
}
