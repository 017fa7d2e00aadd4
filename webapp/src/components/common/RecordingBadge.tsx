// The "● REC" badge beside the call's duration (widget and expanded view) with the recording's elapsed time. The
// host sees it with a spinner while the job starts; everyone else only once the recording has started. In the
// expanded view the host can click it to stop.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore, useNow} from './hooks';
import {recordingIn, recordingPhase, toggleRecording, canRecord} from '../../state/recording';
import {currentUserId, hostIDInChannel, type GlobalState} from '../../state/selectors';
import {formatDuration} from '../../utils/format';
import {untranslatable} from '../../utils/intl';

export function RecordingBadge({channelID, clickToStop = false}: {channelID: string; clickToStop?: boolean}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const rec = useSelector((s: GlobalState) => recordingIn(s, channelID));
  const isHost = useSelector((s: GlobalState) => hostIDInChannel(s, channelID) === currentUserId(s));
  const mayStop = useSelector((s: GlobalState) => canRecord(s, channelID));
  const phase = recordingPhase(rec);
  const now = useNow(1000);
  if (phase === 'starting' && isHost) {
    return (
      <span
        className="calls-recording-badge calls-recording-badge--starting"
        data-testid="calls-recording-badge"
        data-state="starting"
        role="status"
        aria-label={formatMessage({id: 'calls.recording.badge.starting', defaultMessage: 'Recording is starting'})}
      >
        <span className="calls-spinner" data-testid="calls-recording-badge-spinner" />
        {untranslatable('REC')}
      </span>
    );
  }
  if (phase !== 'recording' || !rec) {
    return null;
  }
  const content = (
    <>
      {untranslatable('● REC')}
      <span className="calls-recording-badge-time" data-testid="calls-recording-badge-time">
        {formatDuration(now - rec.start_at)}
      </span>
    </>
  );
  if (clickToStop && mayStop) {
    const label = formatMessage({id: 'calls.recording.badge.click_to_stop', defaultMessage: 'Click to stop'});
    return (
      <button
        className="calls-recording-badge calls-recording-badge--button"
        data-testid="calls-recording-badge"
        data-state="recording"
        title={label}
        aria-label={`${formatMessage({id: 'calls.recording.badge.recording', defaultMessage: 'Recording'})}: ${label}`}
        onClick={() => toggleRecording(store, channelID)}
      >
        {content}
      </button>
    );
  }
  return (
    <span className="calls-recording-badge" data-testid="calls-recording-badge" data-state="recording">
      {content}
    </span>
  );
}
