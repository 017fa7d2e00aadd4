// The recording banners of the current call (reference webapp.md §2.9): the host's "You're recording", everyone
// else's consent notice, the host's "Recording has stopped", an error, and the host's warning before the maximum
// duration ends the recording. One dismissal per recording, shared by the widget and the pop-out.
import React, {useCallback, useState, useSyncExternalStore} from 'react';
import {defineMessages, useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore, useNow} from '../common/hooks';
import {BannerCloseButton} from '../common/BannerCloseButton';
import {
  dismissRecordingPrompt,
  onStoredPromptDismissals,
  recordingIn,
  recordingPhase,
  recordingPromptEpoch,
  storedPromptDismissedAt,
} from '../../state/recording';
import {callsConfig, callsState, currentUserId, hostIDInChannel, type GlobalState} from '../../state/selectors';

/** Warn the host this long before the maximum duration stops the recording. */
export const MAX_DURATION_WARNING_MS = 10 * 60 * 1000;
/** How often the remaining time is checked. */
export const MAX_DURATION_CHECK_MS = 30 * 1000;

/** Title and body of the info banners, by their data-state. */
const INFO = {
  'host-started': defineMessages({
    title: {id: 'calls.recording.banner.host_started', defaultMessage: "You're recording"},
    body: {
      id: 'calls.recording.banner.host_started_body',
      defaultMessage: 'Consider letting everyone know that this meeting is being recorded.',
    },
  }),
  'participant-started': defineMessages({
    title: {id: 'calls.recording.banner.in_progress', defaultMessage: 'Recording is in progress'},
    body: {
      id: 'calls.recording.banner.consent',
      defaultMessage:
        'The host has started recording this meeting. By staying in the meeting, you give consent to being recorded.',
    },
  }),
  stopped: defineMessages({
    title: {id: 'calls.recording.banner.stopped', defaultMessage: 'Recording has stopped. Processing…'},
    body: {
      id: 'calls.recording.banner.stopped_body',
      defaultMessage: "You can find the recording in this call's chat thread once it's finished processing.",
    },
  }),
};

/** Where the banner is drawn; the pop-out's test ids are the reference's (banner-recording, banner-recording-stopped). */
export type BannerSurface = 'widget' | 'popout';

function testIDFor(surface: BannerSurface, stopped: boolean): string {
  if (surface === 'widget') {
    return 'calls-widget-banner-recording';
  }
  return stopped ? 'banner-recording-stopped' : 'banner-recording';
}

/** The later of this window's and the other windows' dismissals of this channel's banner. */
function usePromptDismissedAt(channelID: string): number {
  const fromStore = useSelector((s: GlobalState) => recordingIn(s, channelID)?.prompt_dismissed_at || 0);
  const fromStorage = useSyncExternalStore(onStoredPromptDismissals, () => storedPromptDismissedAt(channelID));
  return Math.max(fromStore, fromStorage);
}

export function RecordingBanner({
  channelID,
  surface,
  onLeave,
}: {
  channelID: string;
  surface: BannerSurface;
  onLeave: () => void;
}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const rec = useSelector((s: GlobalState) => recordingIn(s, channelID));
  const isHost = useSelector((s: GlobalState) => hostIDInChannel(s, channelID) === currentUserId(s));
  const hostChangeAt = useSelector((s: GlobalState) => callsState(s).hosts[channelID]?.hostChangeAt || 0);
  const dismissedAt = usePromptDismissedAt(channelID);
  const dismiss = useCallback(() => dismissRecordingPrompt(store, channelID), [store, channelID]);
  const phase = recordingPhase(rec);
  const dismissed = dismissedAt > recordingPromptEpoch(rec, hostChangeAt);

  // The info banners differ only in their messages and buttons.
  const info = (state: keyof typeof INFO, actions: React.ReactNode): BannerContent => ({
    state,
    kind: 'info',
    title: formatMessage(INFO[state].title),
    body: formatMessage(INFO[state].body),
    actions,
  });

  let content: BannerContent | null = null;
  if (!dismissed && rec) {
    const dismissButton = (
      <button className="calls-btn" data-testid="calls-recording-banner-dismiss" onClick={dismiss}>
        {formatMessage({id: 'calls.recording.banner.dismiss', defaultMessage: 'Dismiss'})}
      </button>
    );
    if (phase === 'failed' && (isHost || rec.start_at > 0)) {
      content = {
        state: 'failed',
        kind: 'error',
        title: formatMessage({
          id: 'calls.recording.banner.error',
          defaultMessage: 'Something went wrong with the recording',
        }),
        body: <span data-testid="calls-recording-banner-error">{rec.err}</span>,
        actions: <BannerCloseButton onClick={dismiss} />,
      };
    } else if (phase === 'recording' && isHost) {
      content = info('host-started', dismissButton);
    } else if (phase === 'recording') {
      content = info(
        'participant-started',
        <>
          <button
            className="calls-btn calls-btn--primary"
            data-testid="calls-recording-banner-understood"
            onClick={dismiss}
          >
            {formatMessage({id: 'calls.recording.banner.understood', defaultMessage: 'Understood'})}
          </button>
          <button className="calls-btn" data-testid="calls-recording-banner-leave" onClick={onLeave}>
            {formatMessage({id: 'calls.recording.banner.leave', defaultMessage: 'Leave call'})}
          </button>
        </>,
      );
    } else if (phase === 'stopped' && isHost && rec.start_at > 0) {
      content = info('stopped', dismissButton);
    }
  }
  return (
    <>
      {content && <Banner testID={testIDFor(surface, content.state === 'stopped')} {...content} />}
      {isHost && phase === 'recording' && rec && <MaxDurationWarning startAt={rec.start_at} surface={surface} />}
    </>
  );
}

/** "Your recording will end in M minutes", for the host, once at most ten minutes are left (checked every 30 s). */
function MaxDurationWarning({startAt, surface}: {startAt: number; surface: BannerSurface}) {
  const {formatMessage} = useIntl();
  const maxMinutes = useSelector((s: GlobalState) => callsConfig(s).MaxRecordingDuration);
  const now = useNow(MAX_DURATION_CHECK_MS);
  // Dismissed for this recording only (keyed by its start).
  const [dismissedFor, setDismissedFor] = useState(0);
  if (!maxMinutes || maxMinutes <= 0 || dismissedFor === startAt) {
    return null;
  }
  const left = startAt + maxMinutes * 60000 - now;
  if (left > MAX_DURATION_WARNING_MS || left <= 0) {
    return null;
  }
  const minutesLeft = Math.max(1, Math.ceil(left / 60000));
  return (
    <Banner
      testID={surface === 'widget' ? 'calls-widget-banner-recording-max-duration' : 'banner-recording-max-duration'}
      state="max-duration"
      kind="warning"
      title={formatMessage(
        {
          id: 'calls.recording.banner.max_duration',
          defaultMessage:
            'Calls can be recorded for up to {max, plural, =1 {# minute} other {# minutes}}. Your recording will end in {left, plural, =1 {# minute} other {# minutes}}.',
        },
        {max: maxMinutes, left: minutesLeft},
      )}
      actions={<BannerCloseButton onClick={() => setDismissedFor(startAt)} />}
    />
  );
}

/** What a recording banner says and offers; `state` is its data-state. */
interface BannerContent {
  state: string;
  kind: 'info' | 'warning' | 'error';
  title: string;
  body?: React.ReactNode;
  actions: React.ReactNode;
}

function Banner({testID, state, kind, title, body, actions}: BannerContent & {testID: string}) {
  return (
    <div
      className={`calls-banner calls-banner--recording calls-banner--${kind}`}
      role="dialog"
      aria-label={title}
      data-testid={testID}
      data-state={state}
    >
      <div className="calls-banner-text">
        <b>{title}</b>
        {body && <div>{body}</div>}
      </div>
      <div className="calls-banner-actions">{actions}</div>
    </div>
  );
}
