// STUN helpers of the port mux: MESSAGE-INTEGRITY checked against the RFC 5769 sample request.
import {parseMessage} from 'werift';
import {bindingRequestUfrag, bindingSuccess, claimsControlling, hasMessageIntegrity} from './stun';

// RFC 5769 §2.1: a binding request with USERNAME "evtj:h6vY", signed with this password, then FINGERPRINT.
const SAMPLE = Buffer.from(
  '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74' +
    '002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020' +
    '000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf',
  'hex',
);
const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

describe('hasMessageIntegrity', () => {
  it('accepts the RFC 5769 sample request with its password', () => {
    expect(bindingRequestUfrag(SAMPLE)).toBe('evtj');
    expect(hasMessageIntegrity(SAMPLE, PASSWORD)).toBe(true);
  });

  it('refuses a wrong password, a changed byte, a missing or short attribute, and a lying length', () => {
    expect(hasMessageIntegrity(SAMPLE, 'not the password')).toBe(false);
    const changed = Buffer.from(SAMPLE);
    changed[30] ^= 1; // inside SOFTWARE, covered by the HMAC
    expect(hasMessageIntegrity(changed, PASSWORD)).toBe(false);
    // Everything before MESSAGE-INTEGRITY, with the header length cut to match: no integrity at all.
    const unsigned = Buffer.from(SAMPLE.subarray(0, 20 + 4 + 16 + 8 + 12 + 16));
    unsigned.writeUInt16BE(unsigned.length - 20, 2);
    expect(hasMessageIntegrity(unsigned, PASSWORD)).toBe(false);
    const short = Buffer.from(SAMPLE);
    short.writeUInt16BE(19, 20 + 4 + 16 + 8 + 12 + 16 + 2);
    expect(hasMessageIntegrity(short, PASSWORD)).toBe(false);
    const lying = Buffer.from(SAMPLE);
    lying.writeUInt16BE(0xffff, 2);
    expect(hasMessageIntegrity(lying.subarray(0, 60), PASSWORD)).toBe(false);
    expect(hasMessageIntegrity(Buffer.alloc(0), PASSWORD)).toBe(false);
  });
});

describe('bindingSuccess', () => {
  // werift's parser with the key checks MESSAGE-INTEGRITY and FINGERPRINT, as the client's werift agent does.
  const parsed = (response: Buffer, password: string) => parseMessage(response, Buffer.from(password, 'utf8'));

  it.each([
    ['192.0.2.1', 32853],
    ['2001:db8:1234:5678:11:2233:4455:6677', 32853],
    ['::ffff:192.0.2.1', 1],
    ['fe80::1', 65535],
  ])(
    'answers the RFC 5769 request from %s:%d: same transaction, XOR-MAPPED-ADDRESS, integrity and fingerprint',
    (host, port) => {
      const response = bindingSuccess(SAMPLE, host, port, PASSWORD)!;
      const message = parsed(response, PASSWORD);
      expect(message).toBeDefined();
      expect(message!.messageMethod).toBe(1);
      expect(message!.messageClass).toBe(0x100);
      expect(message!.transactionId.equals(SAMPLE.subarray(8, 20))).toBe(true);
      const [address, mappedPort] = message!.getAttributeValue('XOR-MAPPED-ADDRESS') as [string, number];
      expect(mappedPort).toBe(port);
      // werift prints IPv6 in its own form; compare canonical forms.
      const canonical = (a: string) => (a.includes(':') ? new URL(`http://[${a}]`).hostname : a);
      expect(canonical(address)).toBe(canonical(host));
    },
  );

  it('is refused by a client holding another password, and builds nothing for a name', () => {
    expect(parsed(bindingSuccess(SAMPLE, '192.0.2.1', 9, PASSWORD)!, 'another password')).toBeUndefined();
    expect(bindingSuccess(SAMPLE, 'example.com', 9, PASSWORD)).toBeUndefined();
  });

  it('reads the role the request claims', () => {
    // The RFC 5769 sample carries ICE-CONTROLLED.
    expect(claimsControlling(SAMPLE)).toBe(false);
    expect(claimsControlling(Buffer.from(SAMPLE.subarray(0, 20)))).toBeUndefined();
  });
});

describe('hostile checks from a client that holds the password', () => {
  // A client may sign anything: the answer path reads only what is in bounds, and throws on nothing.
  it('reads 5,000 random attribute sets and lying lengths without throwing', () => {
    let seed = 0x5eed;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let n = 0; n < 5_000; n++) {
      const body = Buffer.from(Array.from({length: next() % 96}, next));
      const request = Buffer.concat([SAMPLE.subarray(0, 20), body]);
      request.writeUInt16BE(n % 7 === 0 ? next() * 256 + next() : body.length, 2);
      expect(() => {
        claimsControlling(request);
        bindingRequestUfrag(request);
        const response = bindingSuccess(request, n % 2 ? '192.0.2.1' : '2001:db8::1', next() * 256, PASSWORD);
        // Whatever the request held, the answer is a well-formed response with the request's transaction.
        expect(
          parseMessage(response!, Buffer.from(PASSWORD, 'utf8'))?.transactionId.equals(request.subarray(8, 20)),
        ).toBe(true);
      }).not.toThrow();
    }
  });
});
