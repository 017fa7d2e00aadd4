// Consent to send (RFC 7675) from the client's checks instead of the SFU's own. werift's agent, once a pair is
// selected, sends a signed consent check every ≈ 5 s and waits for its answer, with a timer, a transaction and an
// expiry timer each: the biggest share of what an idle session costs (≈ 0.07 % of a core each here, mostly code
// too rarely run to be optimized). The client, a full ICE agent, already sends its own checks on the selected pair
// at that pace for its consent, and each is signed with the session's ICE password. So: the pair's first consent
// is the connectivity check that selected it (as in werift); after that, each authentic check from the client on
// the selected pair renews it, and 30 s without one (werift's CONSENT_TIMEOUT, read at each sweep) fails the agent,
// as an unanswered consent check would: the session ends and its sends stop. A datagram source only becomes a
// selected pair after the SFU's own check to it was answered, so media never goes where no one answered; after
// that, only the holder of the session's ICE password can keep it there. One sweep a second for every agent of the
// process.
import type {Address} from '../net/address';
import {weriftIceBase, type IceBaseModule} from './fixes';

/** The members of werift's ice Connection (ice/src/ice.js) this relies on. */
export interface ConsentAgent {
  state: string;
  /** Read by the forwarding writers (packetSink.ts) before each send, and by werift's own sends. */
  consentFresh?: boolean;
  nominated?: {remoteAddr: Address};
  setState(state: string): void;
  /** An authentic check from the client, after it was answered. */
  checkIncoming(message: unknown, addr: Address, protocol: unknown): void;
  /** werift's consent loop, started when a pair is selected (an own property, replaced per agent). */
  queryConsent(): void;
}

const SWEEP_MS = 1000;
/** performance.now() of each watched agent's last renewal (since its pair was selected). */
const renewedAt = new Map<ConsentAgent, number>();
let sweeper: NodeJS.Timeout | undefined;
/** werift's constants, loaded with the first agent (CONSENT_TIMEOUT read at each sweep, as werift reads it). */
let iceBase: IceBaseModule | undefined;

/** Replaces `agent`'s consent checks: its consent is renewed by the client's checks, and fails when they stop. */
export function consentFromClientChecks(agent: ConsentAgent): void {
  iceBase ??= weriftIceBase();
  // Called by werift where its loop would start: a pair was just selected by a check that succeeded.
  agent.queryConsent = () => {
    renewedAt.set(agent, performance.now());
    agent.consentFresh = true;
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
  };
  const checkIncoming = agent.checkIncoming.bind(agent);
  agent.checkIncoming = (message, addr, protocol) => {
    checkIncoming(message, addr, protocol);
    renewConsent(agent, addr);
  };
}

/** An authentic check from `addr` was answered: it renews the consent if it came on the selected pair. */
export function renewConsent(agent: ConsentAgent, addr: Address): void {
  const pair = agent.nominated;
  // A check on another pair (a client probing a new path) says nothing of the address we send to.
  if (!pair || pair.remoteAddr[0] !== addr[0] || pair.remoteAddr[1] !== addr[1] || !renewedAt.has(agent)) return;
  renewedAt.set(agent, performance.now());
  agent.consentFresh = true;
}

/** Agents whose consent is watched now (closed and failed ones leave at the next sweep). */
export function watchedConsentAgents(): number {
  return renewedAt.size;
}

function sweep(): void {
  const now = performance.now();
  const expiryMs = (iceBase?.CONSENT_TIMEOUT ?? 30) * 1000;
  for (const [agent, at] of renewedAt) {
    if (agent.state === 'closed' || agent.state === 'failed') {
      renewedAt.delete(agent);
      continue;
    }
    if (now - at < expiryMs) continue;
    renewedAt.delete(agent);
    agent.consentFresh = false;
    agent.setState('failed');
  }
  if (renewedAt.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}
