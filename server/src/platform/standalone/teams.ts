// Standalone teams and team membership (a team admin is a member with the team_admin role).
import type {Kysely} from 'kysely';
import type {Clock} from '../../clock';
import {newId} from '../../ids';
import type {Database} from '../../store';
import type {Team} from '../types';
import {toTeam} from './rows';

export class StandaloneTeams {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async createTeam(name: string, displayName: string): Promise<Team> {
    const team: Team = {
      id: newId(),
      name,
      display_name: displayName,
      type: 'O',
      create_at: this.#clock.now(),
      delete_at: 0,
    };
    await this.#db.insertInto('standalone_teams').values(team).execute();
    return team;
  }

  async getTeam(id: string): Promise<Team | null> {
    const r = await this.#db.selectFrom('standalone_teams').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toTeam(r) : null;
  }

  async addTeamMember(teamID: string, userID: string, admin = false): Promise<void> {
    await this.#db
      .insertInto('standalone_team_members')
      .values({team_id: teamID, user_id: userID, roles: admin ? 'team_user team_admin' : 'team_user'})
      .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
      .execute();
  }

  async getUserTeams(userID: string): Promise<Team[]> {
    const rows = await this.#db
      .selectFrom('standalone_teams')
      .innerJoin('standalone_team_members', 'standalone_team_members.team_id', 'standalone_teams.id')
      .selectAll('standalone_teams')
      .where('standalone_team_members.user_id', '=', userID)
      .orderBy('name')
      .execute();
    return rows.map(toTeam);
  }

  async isTeamMember(userID: string, teamID: string): Promise<boolean> {
    return (await this.#memberRoles(userID, teamID)) !== undefined;
  }

  async isTeamAdmin(userID: string, teamID: string): Promise<boolean> {
    return Boolean((await this.#memberRoles(userID, teamID))?.split(' ').includes('team_admin'));
  }

  /** The member's roles in the team; undefined when not a member. */
  async #memberRoles(userID: string, teamID: string): Promise<string | undefined> {
    const r = await this.#db
      .selectFrom('standalone_team_members')
      .select('roles')
      .where('team_id', '=', teamID)
      .where('user_id', '=', userID)
      .executeTakeFirst();
    return r?.roles;
  }
}
