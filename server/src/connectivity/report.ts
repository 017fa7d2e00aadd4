// The admin's connectivity report: advertised candidates judged, STUN-discovered public address against the
// override, the bound RTC ports, a real TURN allocation per configured TURN URL with the credentials Calls
// hands out, and the last browser checks. Probes run at most once per few seconds, whoever asks.
import type {CallsConfig} from '../config/types';
import {rtcOptionsFromConfig} from '../rtc/options';
import {firstStunServer, parseIceUrl} from '../rtc/net/network';
import {turnCredentials} from '../api/turn';
import type {RtcServer} from '../rtc/types';
import {judgeAddress, parseAdvertised, type AdvertisedCandidate, type AddressVerdict} from './addresses';
import type {ClientCheckLog, StoredClientCheck} from './client-results';
import {probeStun, type StunProbeResult} from './stun-probe';
import {probeTurn, type TurnProbeResult} from './turn-probe';
import type {ConnectivityReportData} from '../protocol';

/** What the embedded SFU exposes beyond RtcServer; absent on a relay-only node or an rtcd client. */
interface PortsView {
  udpPort?: number;
  tcpPort?: number | null;
  advertisedCandidates?: string[];
}

/** The wire shape is the protocol's (ConnectivityReportData); this is the server's more precise view of it. */
export interface ConnectivityReport extends ConnectivityReportData {
  rtc: Omit<ConnectivityReportData['rtc'], 'advertised'> & {advertised: (AdvertisedCandidate & AddressVerdict)[]};
  stun: (StunProbeResult & {matches_override: boolean | null}) | null;
  turn: TurnProbeResult[];
  client_checks: StoredClientCheck[];
}

export interface ReportDeps {
  config: () => CallsConfig;
  rtc: () => RtcServer | null;
  clientChecks: ClientCheckLog;
  probeTimeoutMs?: number;
  now?: () => number;
}

/** Runs the probes; concurrent and repeated requests within `cacheMs` share one run. */
export class ConnectivityReporter {
  #last: {at: number; probes: Promise<Probes>} | undefined;

  constructor(
    private readonly d: ReportDeps,
    private readonly cacheMs = 5_000,
  ) {}

  async report(): Promise<ConnectivityReport> {
    const now = (this.d.now ?? Date.now)();
    if (!this.#last || now - this.#last.at > this.cacheMs) this.#last = {at: now, probes: this.#probe()};
    const probes = await this.#last.probes;
    const cfg = this.d.config();
    const view = (this.d.rtc() ?? {}) as PortsView;
    const available = Array.isArray(view.advertisedCandidates);
    const advertised = parseAdvertised(view.advertisedCandidates ?? []).map((c) => ({
      ...c,
      ...judgeAddress(c.address, cfg.ICEHostOverride !== ''),
    }));
    const notes: string[] = [];
    if (!available) notes.push('This node runs no embedded media server (rtcd or a relay-only cluster node).');
    if (cfg.ICEHostPortOverride && view.udpPort && cfg.ICEHostPortOverride !== view.udpPort)
      notes.push(
        `UDP candidates advertise port ${cfg.ICEHostPortOverride} (ICEHostPortOverride) while the server listens on ${view.udpPort}: the NAT or firewall must forward one to the other.`,
      );
    if (available && !advertised.some((c) => c.level === 'ok') && !cfg.ICEHostOverride && !probes.stun?.public_address)
      notes.push('No advertised address is public: users outside this network need ICEHostOverride, STUN or TURN.');
    let stun: ConnectivityReport['stun'] = null;
    if (probes.stun) {
      const override = cfg.ICEHostOverride;
      const matches = override && probes.stun.public_address ? probes.stun.public_address === override : null;
      stun = {...probes.stun, matches_override: matches};
      if (matches === false && !override.includes('/'))
        notes.push(
          `ICEHostOverride is ${override} but STUN sees this server as ${probes.stun.public_address}: users reach a different address than the one advertised.`,
        );
    }
    return {
      generated_at: now,
      rtc: {
        available,
        udp_port: view.udpPort ?? null,
        tcp_port: view.tcpPort ?? null,
        ice_host_override: cfg.ICEHostOverride,
        ice_host_port_override: cfg.ICEHostPortOverride,
        advertised,
        notes,
      },
      stun,
      turn: probes.turn,
      client_checks: this.d.clientChecks.list(),
    };
  }

  async #probe(): Promise<Probes> {
    const cfg = this.d.config();
    const timeout = this.d.probeTimeoutMs ?? 3_000;
    const servers = rtcOptionsFromConfig(cfg).iceServers;
    const stunServer = firstStunServer(servers);
    const turn: Promise<TurnProbeResult>[] = [];
    const expires = Math.floor(Date.now() / 1000) + Math.max(1, cfg.TURNCredentialsExpirationMinutes) * 60;
    for (const s of servers) {
      for (const url of s.urls) {
        if (!/^turns?:/i.test(url.trim())) continue;
        const parsed = parseIceUrl(url);
        if (!parsed) {
          turn.push(Promise.resolve({url, verdict: 'invalid_url', elapsedMs: 0, detail: 'not a turn: or turns: URL'}));
          continue;
        }
        // The credentials a client gets: the entry's own, or TURN REST ones from the static secret.
        const creds =
          s.username && s.credential
            ? {username: s.username, credential: s.credential}
            : cfg.TURNStaticAuthSecret
              ? turnCredentials(cfg.TURNStaticAuthSecret, 'connectivity-check', expires)
              : undefined;
        if (!creds) {
          turn.push(
            Promise.resolve({
              url,
              verdict: 'no_credentials',
              elapsedMs: 0,
              detail: 'no username/credential on this entry and no TURNStaticAuthSecret: clients get no credentials',
            }),
          );
          continue;
        }
        turn.push(probeTurn({server: parsed, ...creds, timeoutMs: timeout}));
      }
    }
    const [stun, turnResults] = await Promise.all([
      stunServer ? probeStun(stunServer, timeout) : Promise.resolve(null),
      Promise.all(turn),
    ]);
    return {stun, turn: turnResults};
  }
}

interface Probes {
  stun: StunProbeResult | null;
  turn: TurnProbeResult[];
}
