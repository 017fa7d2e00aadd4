// Consent from the client's checks (clientConsent.ts), on a stand-in for the few members of werift's agent it
// touches: which checks renew it, when it fails, and that a closed agent leaves the sweep. The real agents and
// their checks are in test/rtc/consent-late.test.ts.
import type {Address} from '../net/address';
import {consentFromClientChecks, watchedConsentAgents, type ConsentAgent} from './clientConsent';

class Agent implements ConsentAgent {
  state = 'checking';
  consentFresh = false;
  nominated: {remoteAddr: Address} | undefined;
  checks = 0;
  setState(state: string): void {
    this.state = state;
  }
  checkIncoming(_message: unknown, _addr: Address, _protocol: unknown): void {
    this.checks++;
  }
  queryConsent(): void {
    throw new Error('werift consent loop started');
  }
}

const CLIENT: Address = ['192.0.2.10', 40000];

// One fake clock for the file: the module's one sweep timer lives across the tests, as in a process.
beforeAll(() => jest.useFakeTimers());
afterAll(() => jest.useRealTimers());

function connected(): Agent {
  const agent = new Agent();
  consentFromClientChecks(agent);
  agent.nominated = {remoteAddr: CLIENT};
  agent.state = 'connected';
  // werift starts its consent loop here, once a check selected the pair.
  agent.queryConsent();
  return agent;
}

test('the selected pair starts with consent, and werift sends no consent checks of its own', () => {
  const agent = connected();
  expect(agent.consentFresh).toBe(true);
  expect(agent.state).toBe('connected');
});

test("the client's checks on the selected pair keep the consent; 30 s without one fail the agent", () => {
  const agent = connected();
  for (let i = 0; i < 10; i++) {
    jest.advanceTimersByTime(5_000);
    agent.checkIncoming({}, ['192.0.2.10', 40000], {});
  }
  // 50 s on, still fresh: every check renewed it, and werift's own handling ran for each.
  expect(agent.checks).toBe(10);
  expect(agent.state).toBe('connected');
  expect(agent.consentFresh).toBe(true);
  jest.advanceTimersByTime(29_000);
  expect(agent.state).toBe('connected');
  jest.advanceTimersByTime(2_000);
  expect(agent.state).toBe('failed');
  expect(agent.consentFresh).toBe(false);
});

test('checks from another address (a probe of a new path, or a spoofed source) do not renew it', () => {
  const agent = connected();
  for (let i = 0; i < 8; i++) {
    jest.advanceTimersByTime(5_000);
    agent.checkIncoming({}, ['192.0.2.10', 40001], {});
    agent.checkIncoming({}, ['198.51.100.1', 40000], {});
  }
  expect(agent.state).toBe('failed');
  expect(agent.consentFresh).toBe(false);
});

test('checks before a pair is selected start nothing, and a closed agent leaves the sweep', () => {
  const before = watchedConsentAgents();
  const agent = new Agent();
  consentFromClientChecks(agent);
  agent.checkIncoming({}, CLIENT, {});
  jest.advanceTimersByTime(60_000);
  // Never selected: not watched, not failed by the sweep (werift's own ICE timeouts decide).
  expect(agent.state).toBe('checking');
  const watched = connected();
  expect(watchedConsentAgents()).toBe(before + 1);
  watched.state = 'closed';
  jest.advanceTimersByTime(1_000);
  expect(watchedConsentAgents()).toBe(before);
  expect(watched.state).toBe('closed');
});
