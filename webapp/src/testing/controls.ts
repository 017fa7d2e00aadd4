// Call controls for tests of what draws or binds them: a muted user who may share and raise a hand, every action a
// jest.fn(), anything overridden by `over`.
import type {CallControls} from '../components/call_controls/controls';
import {CHANNEL} from './store';

export function fakeControls(over: Partial<CallControls> = {}): CallControls {
  return {
    channelID: CHANNEL,
    muted: true,
    micUnavailable: null,
    handRaised: false,
    sharing: false,
    someoneElseSharing: false,
    canShare: true,
    canRaiseHand: true,
    videoEnabled: false,
    videoOn: false,
    leaveNeedsMenu: false,
    toggleMute: jest.fn(),
    toggleHand: jest.fn(),
    toggleScreen: jest.fn(),
    toggleVideo: jest.fn(),
    leave: jest.fn(),
    endForEveryone: jest.fn(),
    ...over,
  };
}
