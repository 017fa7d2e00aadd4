// Permissions as Mattermost computes them for a channel: the union of the permissions of the user's system,
// team and channel roles (roles read once a minute through POST /api/v4/roles/names). Channel schemes and
// channel moderation (scheme-specific role names) are not followed yet.
import type {Role} from '@mattermost/types/roles';
import type {MattermostClient} from './client';
import {TtlCache} from './ttl-cache';

const ROLE_CACHE_MS = 60_000;

export class RolePermissions {
  readonly #client: MattermostClient;
  readonly #roles = new TtlCache<string[]>(ROLE_CACHE_MS, 1000);

  constructor(client: MattermostClient) {
    this.#client = client;
  }

  /** The permissions granted by these space-separated role lists together. */
  async of(...roleLists: string[]): Promise<Set<string>> {
    const names = [...new Set(roleLists.flatMap((r) => r.split(' ')).filter(Boolean))];
    const missing = names.filter((n) => this.#roles.get(n) === undefined);
    if (missing.length) {
      const roles = await this.#client.json<Role[]>('POST', '/roles/names', {body: missing});
      for (const n of missing) this.#roles.set(n, roles.find((r) => r.name === n)?.permissions ?? []);
    }
    return new Set(names.flatMap((n) => this.#roles.get(n) ?? []));
  }
}
