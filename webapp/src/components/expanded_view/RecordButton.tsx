// The host's record button in the expanded view (Ctrl/Cmd+Alt+R in the pop-out), shown when recordings are enabled.
// Starting asks the server; stopping asks "Stop recording?" first. A refused start shows as the recording's error.
import React, {useMemo} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore} from '../common/hooks';
import {RecordIcon} from '../common/icons';
import {canRecord, isRecordingOn, recordingIn, toggleRecording} from '../../state/recording';
import type {GlobalState} from '../../state/selectors';
import {Tooltip} from '../common/Tooltip';

/** Starts the recording or asks to stop it; null when the user may not record (not the host, or recordings off). */
export function useToggleRecording(channelID: string): (() => void) | null {
  const store = useCallsStore();
  const allowed = useSelector((s: GlobalState) => canRecord(s, channelID));
  return useMemo(() => (allowed ? () => toggleRecording(store, channelID) : null), [allowed, store, channelID]);
}

/** "Record call" or "Stop recording", for the button and the widget's menu item. */
export function useRecordingLabel(channelID: string): {on: boolean; label: string} {
  const {formatMessage} = useIntl();
  const on = useSelector((s: GlobalState) => isRecordingOn(recordingIn(s, channelID)));
  const label = on
    ? formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'})
    : formatMessage({id: 'calls.recording.start', defaultMessage: 'Record call'});
  return {on, label};
}

export function RecordButton({channelID}: {channelID: string}) {
  const toggle = useToggleRecording(channelID);
  const {on, label} = useRecordingLabel(channelID);
  if (!toggle) {
    return null;
  }
  return (
    <Tooltip text={label} shortcut="recording">
      <button
        id="calls-popout-record-button"
        className={`calls-btn${on ? ' calls-btn--danger' : ''}`}
        aria-label={label}
        aria-pressed={on}
        onClick={toggle}
      >
        <RecordIcon size={20} />
      </button>
    </Tooltip>
  );
}
