import {AppError} from '../errors';
import {ConnectionLimiter, limitCloseReason, type SocketTicket} from './connection-limits';

const caps = {wsConnectionsPerUser: 2, wsConnectionsPerIP: 3, wsUnauthenticatedPerIP: 1, wsUnauthenticated: 2};
const ticket = (t: SocketTicket | AppError): SocketTicket => {
  if (t instanceof AppError) throw t;
  return t;
};

test('per-address cap counts every open socket; closing one makes room', () => {
  const l = new ConnectionLimiter(caps);
  const open = [1, 2, 3].map(() => ticket(l.open('10.0.0.1')));
  expect((l.open('10.0.0.1') as AppError).id).toBe('app.calls.limit.ws_connections_per_ip');
  expect(l.open('10.0.0.2')).not.toBeInstanceOf(AppError);
  l.release(open[0]);
  l.release(open[0]);
  expect(l.open('10.0.0.1')).not.toBeInstanceOf(AppError);
});

test('waiting for authentication is capped per address and in total; authenticating or closing frees the place', () => {
  const l = new ConnectionLimiter(caps);
  const a = ticket(l.open('10.0.0.1'));
  expect(l.awaitAuthentication(a)).toBeNull();
  expect(l.awaitAuthentication(ticket(l.open('10.0.0.1')))?.id).toBe('app.calls.limit.ws_unauthenticated_per_ip');
  const b = ticket(l.open('10.0.0.2'));
  expect(l.awaitAuthentication(b)).toBeNull();
  expect(l.awaitAuthentication(ticket(l.open('10.0.0.3')))?.id).toBe('app.calls.limit.ws_unauthenticated');
  expect(l.authenticate(a, 'u1')).toBeNull();
  expect(l.unauthenticatedCount).toBe(1);
  l.release(b);
  expect(l.unauthenticatedCount).toBe(0);
  expect(l.awaitAuthentication(ticket(l.open('10.0.0.3')))).toBeNull();
});

test("per-user cap counts authenticated sockets; a resume that replaces the user's own socket is let in", () => {
  const l = new ConnectionLimiter({...caps, wsConnectionsPerIP: 0});
  const t = [1, 2, 3, 4].map(() => ticket(l.open('10.0.0.1')));
  expect(l.authenticate(t[0], 'u1')).toBeNull();
  expect(l.authenticate(t[1], 'u1')).toBeNull();
  expect(l.authenticate(t[2], 'u1')?.id).toBe('app.calls.limit.ws_connections_per_user');
  expect(l.authenticate(t[2], 'u2')).toBeNull();
  expect(l.authenticate(t[3], 'u1', true)).toBeNull();
  expect(l.userCount('u1')).toBe(3);
  l.release(t[0]);
  expect(l.userCount('u1')).toBe(2);
});

test('0 turns a cap off; the close reason starts with the id and fits a close frame', () => {
  const l = new ConnectionLimiter({
    wsConnectionsPerUser: 0,
    wsConnectionsPerIP: 0,
    wsUnauthenticatedPerIP: 0,
    wsUnauthenticated: 0,
  });
  for (let i = 0; i < 100; i++) {
    const t = ticket(l.open('10.0.0.1'));
    expect(l.awaitAuthentication(t)).toBeNull();
  }
  const reason = limitCloseReason(new AppError('app.calls.limit.ws_connections_per_user', 'x'.repeat(200), 429));
  expect(reason).toBe('app.calls.limit.ws_connections_per_user');
});

test('the addresses of one IPv6 /64 count together', () => {
  const l = new ConnectionLimiter(caps);
  for (const a of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3']) ticket(l.open(a));
  expect((l.open('2001:db8:1:2::4') as AppError).id).toBe('app.calls.limit.ws_connections_per_ip');
  expect(l.open('2001:db8:1:3::1')).not.toBeInstanceOf(AppError);
});
