// First-start data for the built-in directory, so `npm start` is usable at once: an admin and four
// users, a team, a public and a private channel, a DM and a GM. Runs once per database.
import type {KVRepository} from '../../store/types';
import type {StandaloneDirectory} from './directory';

const SEEDED_KEY = 'standalone_seeded';

export interface SeedUser {
  username: string;
  password: string;
  admin: boolean;
}

export interface SeedResult {
  created: boolean;
  users: SeedUser[];
}

const USERS: {username: string; first: string; last: string; admin: boolean}[] = [
  {username: 'admin', first: 'Ada', last: 'Admin', admin: true},
  {username: 'alice', first: 'Alice', last: 'Liddell', admin: false},
  {username: 'bob', first: 'Bob', last: 'Builder', admin: false},
  {username: 'carol', first: 'Carol', last: 'Danvers', admin: false},
  {username: 'dave', first: 'Dave', last: 'Bowman', admin: false},
];

export async function seedStandalone(
  dir: StandaloneDirectory,
  kv: KVRepository,
  password?: string,
): Promise<SeedResult> {
  const users = USERS.map((u) => ({username: u.username, password: password || u.username, admin: u.admin}));
  // Claim the seed first so two nodes starting together on one database do not both seed.
  if (!(await kv.setIfAbsent(SEEDED_KEY, 'seeding'))) return {created: false, users};
  const ids: Record<string, string> = {};
  for (const u of USERS) {
    const created = await dir.createUser({
      username: u.username,
      password: password || u.username,
      first_name: u.first,
      last_name: u.last,
      roles: u.admin ? 'system_admin system_user' : 'system_user',
    });
    ids[u.username] = created.id;
  }
  const team = await dir.createTeam('calls', 'Calls');
  for (const u of USERS) await dir.addTeamMember(team.id, ids[u.username], u.admin);
  await dir.createChannel(
    {team_id: team.id, type: 'O', name: 'town-square', display_name: 'Town Square', creator_id: ids.admin},
    USERS.map((u) => ids[u.username]),
  );
  await dir.createChannel(
    {team_id: team.id, type: 'O', name: 'off-topic', display_name: 'Off-Topic', creator_id: ids.admin},
    USERS.map((u) => ids[u.username]),
  );
  await dir.createChannel(
    {team_id: team.id, type: 'P', name: 'private-room', display_name: 'Private Room', creator_id: ids.admin},
    [ids.admin, ids.alice, ids.bob, ids.carol],
  );
  await dir.getOrCreateDirectChannel(ids.alice, ids.bob);
  await dir.createGroupChannel([ids.alice, ids.bob, ids.carol]);
  await kv.set(SEEDED_KEY, 'done');
  return {created: true, users};
}
