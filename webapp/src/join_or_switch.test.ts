// A "Join call" button (channel toast, call post, incoming-call notice) while the user is already in a call asks
// first with the switch modal instead of leaving the current call.
import {joinOrOfferSwitch} from './call_flow';
import type {CallsClient} from './client/calls_client';
import {setCallsClient} from './client/current';
import {callsState} from './state/selectors';
import {CHANNEL, DM, makeStore} from './testing/store';

afterEach(() => setCallsClient(null));

test('in a call already, joining another channel’s call opens the switch modal and keeps the current call', () => {
  const store = makeStore();
  const current = {channelID: CHANNEL} as unknown as CallsClient;
  setCallsClient(current);
  joinOrOfferSwitch(store, DM);
  expect(callsState(store.getState()).switchCallModal).toEqual({show: true, targetID: DM});
  expect(callsState(store.getState()).clientConnecting).toBeFalsy();
});
