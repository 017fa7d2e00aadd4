// The degraded call quality banner (reference webapp.md §2.12, §4.4): MOS below 3.5 shows it, recovery hides it,
// and after the user dismisses it, it stays hidden for 20 s even while quality stays poor.
import {DEGRADED_QUALITY_SUPPRESS_MS, onCallQuality} from './call_flow';
import {calculateMOS, MOS_THRESHOLD} from './client/rtc_monitor';
import {action} from './state/action_types';
import {callsState} from './state/selectors';
import {CHANNEL, makeStore} from './testing/store';

const shown = (store: ReturnType<typeof makeStore>) =>
  Boolean(callsState(store.getState()).alerts.degradedCallQuality?.show);

describe('degraded call quality banner', () => {
  test('shows below the threshold and hides when quality recovers', () => {
    const store = makeStore();
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    const poor = calculateMOS(300, 60, 10);
    expect(poor).toBeLessThan(MOS_THRESHOLD);
    onCallQuality(store, 4.2, 1000);
    expect(shown(store)).toBe(false);
    onCallQuality(store, poor, 2000);
    expect(shown(store)).toBe(true);
    expect(callsState(store.getState()).mos).toBe(poor);
    onCallQuality(store, 4.1, 3000);
    expect(shown(store)).toBe(false);
  });

  test('dismissed, it stays away for 20 s while quality stays poor', () => {
    const store = makeStore();
    onCallQuality(store, 2, 0);
    store.dispatch(action('ALERT_HIDE', {kind: 'degradedCallQuality', dismissed: true, at: 10000}));
    onCallQuality(store, 2, 10000 + DEGRADED_QUALITY_SUPPRESS_MS - 1);
    expect(shown(store)).toBe(false);
    onCallQuality(store, 2, 10000 + DEGRADED_QUALITY_SUPPRESS_MS + 1);
    expect(shown(store)).toBe(true);
    expect(DEGRADED_QUALITY_SUPPRESS_MS).toBe(20000);
  });
});
