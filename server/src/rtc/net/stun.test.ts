// STUN helpers of the port mux: MESSAGE-INTEGRITY checked against the RFC 5769 sample request.
import {bindingRequestUfrag, hasMessageIntegrity} from './stun';

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
