// The port mux's routing of connectivity checks: which session a check reaches, and whether the session is told that
// the mux already authenticated it (so it does not compute the same HMAC again) — only when the check named that
// session's ufrag and passed its password, never for a check that reached it by its source address alone.
import {createSocket, type Socket} from 'node:dgram';
import {classes, Message, methods} from 'werift';
import {hasMessageIntegrity} from './stun';
import {UdpMuxSocket, type MuxEndpoint} from './udpMux';

const PASSWORD = 'the-session-ice-password-22';

function check(ufrag: string, password: string): Buffer {
  return new Message(methods.BINDING, classes.REQUEST)
    .setAttribute('USERNAME', `${ufrag}:client`)
    .addMessageIntegrity(Buffer.from(password, 'utf8'))
    .addFingerprint().bytes;
}

let socket: Socket;
let mux: UdpMuxSocket;
const got: {kind: string; authentic: boolean}[] = [];
const endpoint: MuxEndpoint = {
  authenticate: (request) => hasMessageIntegrity(request, PASSWORD),
  receive: (data, _addr, _key, authentic) => got.push({kind: data[0] < 2 ? 'stun' : 'other', authentic}),
};

beforeAll(async () => {
  socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // Datagrams come in through deliver() only (as in a media worker); nothing is read from the socket.
  mux = new UdpMuxSocket('127.0.0.1', socket, false);
  mux.register('sessionufrag', endpoint);
});

afterAll(() => mux.close());

beforeEach(() => {
  got.length = 0;
});

test("a check naming the session's ufrag and signed with its password reaches it as authenticated", () => {
  mux.deliver(check('sessionufrag', PASSWORD), '192.0.2.1', 5000, '192.0.2.1:5000');
  expect(got).toEqual([{kind: 'stun', authentic: true}]);
  expect(mux.endpointOf('192.0.2.1:5000')).toBe(endpoint);
});

test('a forged check naming the ufrag is dropped; one naming no known ufrag reaches the source as unauthenticated', () => {
  mux.deliver(check('sessionufrag', PASSWORD), '192.0.2.2', 5000, '192.0.2.2:5000');
  got.length = 0;
  const dropped = mux.dropped;
  mux.deliver(check('sessionufrag', 'a guessed password'), '192.0.2.2', 5000, '192.0.2.2:5000');
  expect(got).toEqual([]);
  expect(mux.dropped).toBe(dropped + 1);
  // Routed by its source alone: the session must check it itself.
  mux.deliver(check('otherufrag', 'a guessed password'), '192.0.2.2', 5000, '192.0.2.2:5000');
  mux.deliver(Buffer.from([0x80, 0x6f, 0, 1]), '192.0.2.2', 5000, '192.0.2.2:5000');
  expect(got).toEqual([
    {kind: 'stun', authentic: false},
    {kind: 'other', authentic: false},
  ]);
});
