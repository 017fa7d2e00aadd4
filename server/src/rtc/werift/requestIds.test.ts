// A candidate pair werift answers checks for keeps only its latest checks' transaction ids: a long call's pair no
// longer grows by one string per check, and a retransmission of a recent check is still counted as one.
import {randomBytes} from 'node:crypto';
import {boundIncomingRequestIds, REMEMBERED_REQUEST_IDS, weriftIceBase, type CandidatePairRequests} from './fixes';

function newPair(): CandidatePairRequests {
  const {CandidatePair} = weriftIceBase();
  return new CandidatePair({localCandidate: {}}, {host: '127.0.0.1', port: 5000}, false);
}

const id = () => randomBytes(12).toString('hex');

describe('boundIncomingRequestIds', () => {
  it('keeps a pair that received a day of checks at the latest ids, still counting retransmissions', () => {
    // werift as it comes: every id stays.
    const stock = newPair();
    for (let i = 0; i < 1000; i++) stock.noteIncomingRequest(id());
    expect(stock.requestTransactionIds.size).toBe(1000);

    boundIncomingRequestIds();
    boundIncomingRequestIds(); // idempotent
    const pair = newPair();
    const ids: string[] = [];
    for (let i = 0; i < 17_280; i++) {
      ids.push(id());
      expect(pair.noteIncomingRequest(ids[i])).toBe(false);
    }
    expect(pair.requestTransactionIds.size).toBe(REMEMBERED_REQUEST_IDS);
    // A recent check sent again is a retransmission; one long forgotten is taken as new.
    expect(pair.noteIncomingRequest(ids[ids.length - 1])).toBe(true);
    expect(pair.noteIncomingRequest(ids[ids.length - REMEMBERED_REQUEST_IDS])).toBe(true);
    expect(pair.retransmissionsReceived).toBe(2);
    expect(pair.noteIncomingRequest(ids[0])).toBe(false);
    expect(pair.requestTransactionIds.size).toBe(REMEMBERED_REQUEST_IDS);
  });
});
