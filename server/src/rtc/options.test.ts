// The process-level SFU variables: what an operator writes is read as documented, and a mistake stops the start
// with a message naming the variable.
import {rtcEnvOverrides} from './options';

describe('MM_CALLS_RTC_WORKER_IDLE_SECONDS', () => {
  it('leaves the default (300 s, on demand) when unset', () => {
    expect(rtcEnvOverrides({}, 2).workerIdleMs).toBeUndefined();
  });

  it('reads seconds, and "off" as workers that start with the server and keep running', () => {
    expect(rtcEnvOverrides({MM_CALLS_RTC_WORKER_IDLE_SECONDS: '60'}, 2).workerIdleMs).toBe(60_000);
    expect(rtcEnvOverrides({MM_CALLS_RTC_WORKER_IDLE_SECONDS: '0'}, 2).workerIdleMs).toBe(0);
    expect(rtcEnvOverrides({MM_CALLS_RTC_WORKER_IDLE_SECONDS: 'off'}, 2).workerIdleMs).toBeNull();
  });

  it.each(['-1', '1.5', 'never', '86401', '5m'])('refuses %p', (v) => {
    expect(() => rtcEnvOverrides({MM_CALLS_RTC_WORKER_IDLE_SECONDS: v}, 2)).toThrow(/MM_CALLS_RTC_WORKER_IDLE_SECONDS/);
  });
});
