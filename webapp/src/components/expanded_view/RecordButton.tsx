// The host's record button in the expanded view (Ctrl+Alt+R in the pop-out), shown when recordings are enabled.
import React, {useMemo} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore} from '../common/hooks';
import {RecordIcon} from '../common/icons';
import {Rest} from '../../client/rest';
import {showGenericError} from '../../state/actions';
import {callsConfig, callsState, canHostControl, type GlobalState} from '../../state/selectors';
import {shortcutLabel} from '../../shortcuts';

/** Starts or stops the recording (host, recordings enabled); null when the user may not. */
export function useToggleRecording(channelID: string): (() => void) | null {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const enabled = useSelector((s: GlobalState) => callsConfig(s).EnableRecordings);
  const host = useSelector((s: GlobalState) => canHostControl(s, channelID));
  const rec = useSelector((s: GlobalState) => callsState(s).recordings[channelID]);
  const on = Boolean(rec && rec.init_at > rec.end_at);
  return useMemo(() => {
    if (!enabled || !host) {
      return null;
    }
    return () => {
      Rest.recording(channelID, on ? 'stop' : 'start').catch((err) => {
        showGenericError(
          store,
          on
            ? formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'})
            : formatMessage({id: 'calls.recording.start', defaultMessage: 'Record call'}),
          (err as Error).message,
        );
      });
    };
  }, [enabled, host, on, channelID, store, formatMessage]);
}

export function RecordButton({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const toggle = useToggleRecording(channelID);
  const rec = useSelector((s: GlobalState) => callsState(s).recordings[channelID]);
  if (!toggle) {
    return null;
  }
  const on = Boolean(rec && rec.init_at > rec.end_at);
  const label = on
    ? formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'})
    : formatMessage({id: 'calls.recording.start', defaultMessage: 'Record call'});
  return (
    <button
      id="calls-popout-record-button"
      className={`calls-btn${on ? ' calls-btn--danger' : ''}`}
      aria-label={label}
      title={`${label} (${shortcutLabel('recording')})`}
      onClick={toggle}
    >
      <RecordIcon size={20} />
    </button>
  );
}
