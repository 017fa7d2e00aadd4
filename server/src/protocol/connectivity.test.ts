import {checkVerdict, type ClientCheckResult, type TransportCheck} from './connectivity';

const ok: TransportCheck = {ok: true, tried: true, rtt_ms: 20, loss: 0};
const fail: TransportCheck = {ok: false, tried: true, error: 'timeout'};
const base = (p: Partial<ClientCheckResult>): ClientCheckResult => ({
  udp: fail,
  tcp: fail,
  relay: {ok: false, tried: false},
  auto: fail,
  udp_port: 8443,
  tcp_port: 8443,
  turn_urls: [],
  ...p,
});

describe('connectivity verdict in plain words', () => {
  test('UDP works', () => {
    expect(checkVerdict(base({udp: ok, auto: ok})).code).toBe('udp');
  });
  test('UDP blocked, TCP works', () => {
    expect(checkVerdict(base({tcp: ok, auto: ok})).text).toBe(
      'UDP to port 8443 is blocked on your network; the call uses TCP (port 8443). Audio may lag under packet loss.',
    );
  });
  test('only TURN works', () => {
    const v = checkVerdict(base({relay: ok, auto: ok, turn_urls: ['turn:turn.example.com:3478']}));
    expect(v.code).toBe('relay_only');
    expect(v.text).toContain('turn:turn.example.com:3478');
  });
  test('only the server reaching the browser works', () => {
    expect(checkVerdict(base({auto: ok})).code).toBe('inbound_only');
  });
  test('nothing works: what to ask the admin', () => {
    const v = checkVerdict(base({}));
    expect(v.code).toBe('no_route');
    expect(v.text).toMatch(/^No route to the call server: ask your admin to open UDP port 8443 \(or TCP port 8443\)/);
  });
  test('loss and delay are remarked on', () => {
    const v = checkVerdict(base({udp: {...ok, loss: 0.2, rtt_ms: 450}, auto: {...ok, loss: 0.2, rtt_ms: 450}}));
    expect(v.notes).toHaveLength(2);
  });
});
