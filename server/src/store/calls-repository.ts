// Queries on the calls_* tables, mapping rows to the domain types of types.ts.
import {type Kysely, type Selectable, sql} from 'kysely';
import type {CallsJobsTable, CallsSessionsTable, CallsTable, Database} from './schema';
import {readBool, readJson} from './schema';
import type {
  Call,
  CallJob,
  CallJobType,
  CallSession,
  CallsChannel,
  CallsRepository,
  CallsStats,
  CallStats,
} from './types';

const EMPTY_STATS: CallStats = {
  screen_duration: 0,
  video_duration: 0,
  has_used_video: false,
  has_used_screen_share: false,
};

function toCall(r: Selectable<CallsTable>): Call {
  return {
    id: r.id,
    channelId: r.channelid,
    startAt: Number(r.startat),
    endAt: Number(r.endat),
    createAt: Number(r.createat),
    deleteAt: Number(r.deleteat),
    title: r.title ?? '',
    postId: r.postid,
    threadId: r.threadid,
    ownerId: r.ownerid,
    participants: readJson<string[]>(r.participants, []) ?? [],
    stats: {...EMPTY_STATS, ...readJson<Partial<CallStats>>(r.stats, {})},
    props: readJson(r.props, {}) ?? {},
  };
}

function fromCall(c: Call) {
  return {
    id: c.id,
    channelid: c.channelId,
    startat: c.startAt,
    endat: c.endAt,
    createat: c.createAt,
    deleteat: c.deleteAt,
    title: c.title,
    postid: c.postId,
    threadid: c.threadId,
    ownerid: c.ownerId,
    participants: JSON.stringify(c.participants),
    stats: JSON.stringify(c.stats),
    props: JSON.stringify(c.props),
  };
}

function toSession(r: Selectable<CallsSessionsTable>): CallSession {
  return {
    id: r.id,
    callId: r.callid,
    userId: r.userid,
    joinAt: Number(r.joinat),
    unmuted: readBool(r.unmuted),
    raisedHand: Number(r.raisedhand),
    video: readBool(r.video),
  };
}

function fromSession(s: CallSession) {
  return {
    id: s.id,
    callid: s.callId,
    userid: s.userId,
    joinat: s.joinAt,
    unmuted: s.unmuted,
    raisedhand: s.raisedHand,
    video: s.video,
  };
}

function toJob(r: Selectable<CallsJobsTable>): CallJob {
  return {
    id: r.id,
    callId: r.callid,
    type: r.type as CallJobType,
    creatorId: r.creatorid,
    initAt: Number(r.initat),
    startAt: Number(r.startat),
    endAt: Number(r.endat),
    props: readJson(r.props, {}) ?? {},
  };
}

function fromJob(j: CallJob) {
  return {
    id: j.id,
    callid: j.callId,
    type: j.type,
    creatorid: j.creatorId,
    initat: j.initAt,
    startat: j.startAt,
    endat: j.endAt,
    props: JSON.stringify(j.props),
  };
}

/** Ids per DELETE … IN (…) statement. */
const DELETE_CHUNK = 500;

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class KyselyCallsRepository implements CallsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createCall(call: Call): Promise<void> {
    await this.db.insertInto('calls').values(fromCall(call)).execute();
  }

  async updateCall(call: Call): Promise<void> {
    const {id, ...rest} = fromCall(call);
    await this.db.updateTable('calls').set(rest).where('id', '=', id).execute();
  }

  async getCall(id: string): Promise<Call | null> {
    const r = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toCall(r) : null;
  }

  async getActiveCallByChannel(channelId: string): Promise<Call | null> {
    const r = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('channelid', '=', channelId)
      .where('endat', '=', 0)
      .where('startat', '>', 0)
      .where('deleteat', '=', 0)
      .orderBy('startat', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toCall(r) : null;
  }

  async listActiveCalls(): Promise<Call[]> {
    const rows = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('endat', '=', 0)
      .where('startat', '>', 0)
      .where('deleteat', '=', 0)
      .orderBy('startat', 'desc')
      .execute();
    return rows.map(toCall);
  }

  async createSession(session: CallSession): Promise<void> {
    await this.db.insertInto('calls_sessions').values(fromSession(session)).execute();
  }

  async updateSession(session: CallSession): Promise<void> {
    const {id, ...rest} = fromSession(session);
    await this.db.updateTable('calls_sessions').set(rest).where('id', '=', id).execute();
  }

  async getSession(id: string): Promise<CallSession | null> {
    const r = await this.db.selectFrom('calls_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toSession(r) : null;
  }

  async getSessions(callId: string): Promise<CallSession[]> {
    const rows = await this.db
      .selectFrom('calls_sessions')
      .selectAll()
      .where('callid', '=', callId)
      .orderBy('joinat', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('calls_sessions').where('id', '=', id).execute();
  }

  async deleteSessions(ids: readonly string[]): Promise<void> {
    // Bounded statements: SQLite caps the parameters of one statement.
    for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
      await this.db
        .deleteFrom('calls_sessions')
        .where('id', 'in', ids.slice(i, i + DELETE_CHUNK))
        .execute();
    }
  }

  async deleteSessionsByCall(callId: string): Promise<void> {
    await this.db.deleteFrom('calls_sessions').where('callid', '=', callId).execute();
  }

  async getChannel(channelId: string): Promise<CallsChannel | null> {
    const r = await this.db
      .selectFrom('calls_channels')
      .selectAll()
      .where('channelid', '=', channelId)
      .executeTakeFirst();
    return r ? {channelId: r.channelid, enabled: readBool(r.enabled), props: readJson(r.props, {}) ?? {}} : null;
  }

  async upsertChannel(channel: CallsChannel): Promise<void> {
    const row = {channelid: channel.channelId, enabled: channel.enabled, props: JSON.stringify(channel.props ?? {})};
    await this.db
      .insertInto('calls_channels')
      .values(row)
      .onConflict((oc) => oc.column('channelid').doUpdateSet({enabled: row.enabled, props: row.props}))
      .execute();
  }

  async listChannels(): Promise<CallsChannel[]> {
    const rows = await this.db.selectFrom('calls_channels').selectAll().orderBy('channelid').execute();
    return rows.map((r) => ({
      channelId: r.channelid,
      enabled: readBool(r.enabled),
      props: readJson(r.props, {}) ?? {},
    }));
  }

  async createJob(job: CallJob): Promise<void> {
    await this.db.insertInto('calls_jobs').values(fromJob(job)).execute();
  }

  async updateJob(job: CallJob): Promise<void> {
    const {id, ...rest} = fromJob(job);
    await this.db.updateTable('calls_jobs').set(rest).where('id', '=', id).execute();
  }

  async getJob(id: string): Promise<CallJob | null> {
    const r = await this.db.selectFrom('calls_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toJob(r) : null;
  }

  async getActiveJobs(callId: string): Promise<CallJob[]> {
    const rows = await this.db
      .selectFrom('calls_jobs')
      .selectAll()
      .where('callid', '=', callId)
      .where('endat', '=', 0)
      .orderBy('initat', 'desc')
      .execute();
    return rows.map(toJob);
  }

  async getStats(channelType: (channelId: string) => Promise<string | undefined>): Promise<CallsStats> {
    // The tables are small enough per installation that aggregating in JS keeps one code path for both engines.
    const calls = await this.db
      .selectFrom('calls')
      .select(['id', 'channelid', 'startat', 'endat', 'participants', 'stats'])
      .where('deleteat', '=', 0)
      .execute();
    const activeSessions = await this.db
      .selectFrom('calls_sessions')
      .innerJoin('calls', 'calls.id', 'calls_sessions.callid')
      .select(sql<number>`count(*)`.as('n'))
      .where('calls.endat', '=', 0)
      .executeTakeFirst();
    const jobs = await this.db.selectFrom('calls_jobs').select(['initat']).where('type', '=', 'recording').execute();

    const stats: CallsStats = {
      total_calls: calls.length,
      total_active_calls: 0,
      total_active_sessions: Number(activeSessions?.n ?? 0),
      calls_by_day: {},
      calls_by_month: {},
      calls_by_channel_type: {},
      avg_duration: 0,
      avg_participants: 0,
      avg_video_duration: 0,
      total_video_duration: 0,
      total_video_calls: 0,
      total_screen_share_calls: 0,
      recording_jobs_by_day: {},
      recording_jobs_by_month: {},
    };
    let ended = 0,
      durationSum = 0,
      participantSum = 0;
    const typeNames: Record<string, string> = {O: 'public', P: 'private', D: 'direct', G: 'group'};
    for (const c of calls) {
      const startAt = Number(c.startat),
        endAt = Number(c.endat);
      if (endAt === 0) stats.total_active_calls++;
      else {
        ended++;
        durationSum += (endAt - startAt) / 1000;
        participantSum += (readJson<string[]>(c.participants, []) ?? []).length;
      }
      const d = day(startAt);
      stats.calls_by_day[d] = (stats.calls_by_day[d] ?? 0) + 1;
      stats.calls_by_month[d.slice(0, 7)] = (stats.calls_by_month[d.slice(0, 7)] ?? 0) + 1;
      const t = typeNames[(await channelType(c.channelid)) ?? ''] ?? 'unknown';
      stats.calls_by_channel_type[t] = (stats.calls_by_channel_type[t] ?? 0) + 1;
      const s = {...EMPTY_STATS, ...readJson<Partial<CallStats>>(c.stats, {})};
      if (s.has_used_video) stats.total_video_calls++;
      if (s.has_used_screen_share) stats.total_screen_share_calls++;
      stats.total_video_duration += s.video_duration;
    }
    if (ended > 0) {
      stats.avg_duration = Math.round(durationSum / ended);
      stats.avg_participants = Math.round((participantSum / ended) * 10) / 10;
    }
    if (stats.total_video_calls > 0)
      stats.avg_video_duration = Math.round(stats.total_video_duration / stats.total_video_calls);
    for (const j of jobs) {
      const d = day(Number(j.initat));
      stats.recording_jobs_by_day[d] = (stats.recording_jobs_by_day[d] ?? 0) + 1;
      stats.recording_jobs_by_month[d.slice(0, 7)] = (stats.recording_jobs_by_month[d.slice(0, 7)] ?? 0) + 1;
    }
    return stats;
  }
}
