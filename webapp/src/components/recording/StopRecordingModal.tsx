// "Stop recording?" (reference webapp.md §2.9, #stop_recording_confirmation): stopping from the UI asks first; the
// slash command stops at once.
import React from 'react';
import {useIntl} from 'react-intl';

import {useCallsStore} from '../common/hooks';
import {Modal, useCallsModal} from '../modals/Modal';
import {showGenericError} from '../../state/actions';
import {recordingErrorMessage, stopRecording} from '../../state/recording';

export function StopRecordingModal() {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const [modal, close] = useCallsModal('stopRecordingModal', 'HIDE_STOP_RECORDING_MODAL');
  if (!modal) {
    return null;
  }
  const title = formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'});
  const confirm = () => {
    close();
    stopRecording(store, modal.channelID).catch((err) =>
      showGenericError(
        store,
        formatMessage({id: 'calls.recording.stop_failed', defaultMessage: 'Unable to stop recording'}),
        recordingErrorMessage(err),
      ),
    );
  };
  return (
    <Modal
      id="stop_recording_confirmation"
      title={title}
      onClose={close}
      footer={
        <>
          <button className="calls-btn" data-testid="stop-recording-cancel" onClick={close}>
            {formatMessage({id: 'calls.recording.stop_cancel', defaultMessage: 'Cancel'})}
          </button>
          <button
            className="calls-btn calls-btn--primary calls-btn--danger"
            data-testid="stop-recording-confirm"
            onClick={confirm}
          >
            {title}
          </button>
        </>
      }
    >
      <p>
        {formatMessage({
          id: 'calls.recording.stop_body',
          defaultMessage:
            'The call recording will be processed and posted in the call thread. Are you sure you want to stop the recording?',
        })}
      </p>
    </Modal>
  );
}
