// One integrated node (SQLite) run as a child process through several lives on the same data directory and
// HTTP port, as a supervisor restarts it: kill -9 or SIGTERM one life, start the next. MM_CALLS_NODE_ID is
// unset, so each life uses the node id kept in the data directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {type NodeProcess, startNode} from '../cluster/support/node';
import {CallUser} from '../cluster/support/user';
import {api} from './calls-client';
import type {World} from './fixtures';
import {freePort} from './ports';

export interface ClientCallState {
  id: string;
  post_id: string;
  host_id: string;
  sessions: {session_id: string; user_id: string}[];
}

export class SingleNode {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-crash-'));
  readonly lives: NodeProcess[] = [];
  readonly users: CallUser[] = [];
  /** Names the log files of this node's lives. */
  readonly tag = `single${Date.now().toString(36)}`;

  private constructor(readonly port: number) {}

  static async create(): Promise<SingleNode> {
    return new SingleNode(await freePort());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get current(): NodeProcess {
    return this.lives[this.lives.length - 1];
  }

  async start(env: Record<string, string> = {}): Promise<NodeProcess> {
    const n = await startNode({
      name: `${this.tag}-life${this.lives.length + 1}`,
      dataDir: this.dataDir,
      env: {MM_CALLS_HTTP_PORT: String(this.port), MM_CALLS_NODE_ID: '', ...env},
    });
    this.lives.push(n);
    return n;
  }

  /** A werift user whose websocket reconnects to the same address (where the next life listens) for up to 30 s, as the webapp does. */
  user(w: World, name: keyof World['users']): CallUser {
    const u = new CallUser(name, this.url, w.users[name].token, () => this.url);
    u.ws.reconnectAttempts = 60;
    this.users.push(u);
    return u;
  }

  /** The channel's call as GET /plugins/com.mattermost.calls/{channel} shows it to the admin (one request per second at most). */
  async callState(w: World, channelID: string): Promise<ClientCallState | null> {
    const res = await api(this.url, w.users.admin.token, 'GET', `/plugins/com.mattermost.calls/${channelID}`);
    if (res.status !== 200) throw new Error(`call state: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.call ?? null;
  }

  async stop(): Promise<void> {
    for (const u of this.users) await u.close().catch(() => undefined);
    for (const n of this.lives) await n.kill9();
    process.stdout.write(`node logs:\n${this.lives.map((n) => n.logFile).join('\n')}\n`);
    fs.rmSync(this.dataDir, {recursive: true, force: true});
  }
}
