// The plugin's modals, rendered by one global component from the slice: the call error modal (why the call closed,
// with a re-join link), the generic error modal (slash-command failures), the switch-call modal and "Stop recording?".
import React from 'react';
import {useIntl, type MessageDescriptor} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore} from '../common/hooks';
import {Modal, useCallsModal} from './Modal';
import {ConnectivityCheckBody} from '../connectivity/ConnectivityCheck';
import {StopRecordingModal} from '../recording/StopRecordingModal';
import {connectCall, switchCall} from '../../call_flow';
import type {CallErrorKind} from '../../state/calls_state';
import {clientState, getChannel, type GlobalState} from '../../state/selectors';

const TROUBLESHOOTING_URL = 'https://docs.mattermost.com/collaborate/make-calls.html';

/** What the call error modal says for each kind of error, and whether it offers to re-join. */
const CALL_ERRORS: Record<CallErrorKind, {title: MessageDescriptor; body: MessageDescriptor; rejoin: boolean}> = {
  timeout: {
    title: {id: 'calls.error.timeout.title', defaultMessage: 'Call connection failed'},
    body: {
      id: 'calls.error.timeout.body',
      defaultMessage:
        "We couldn't join the call because the connection timed out. Please check your network connection and try again.",
    },
    rejoin: true,
  },
  peer: {
    title: {id: 'calls.error.peer.title', defaultMessage: 'Connection failed'},
    body: {
      id: 'calls.error.peer.body',
      defaultMessage: 'There was an error with the connection to the call. Try to re-join the call.',
    },
    rejoin: true,
  },
  ws_reconnect_timeout: {
    title: {id: 'calls.error.ws.title', defaultMessage: 'Connection lost'},
    body: {
      id: 'calls.error.ws.body',
      defaultMessage:
        'The connection to the server was lost for too long and the call was disconnected. Try to re-join the call.',
    },
    rejoin: true,
  },
  insecure: {
    title: {id: 'calls.error.insecure.title', defaultMessage: "Calls can't be initiated in an insecure context"},
    body: {
      id: 'calls.error.insecure.body',
      defaultMessage: 'Calls need a secure context (HTTPS) to access the microphone.',
    },
    rejoin: false,
  },
  removed_from_channel: {
    title: {id: 'calls.error.removed_channel.title', defaultMessage: 'You were removed from the channel'},
    body: {
      id: 'calls.error.removed_channel.body',
      defaultMessage: 'You were removed from the channel, and so you have been disconnected from the call.',
    },
    rejoin: false,
  },
  left_channel: {
    title: {id: 'calls.error.left_channel.title', defaultMessage: 'You left the channel'},
    body: {
      id: 'calls.error.left_channel.body',
      defaultMessage: 'You left the channel, and so you have been disconnected from the call.',
    },
    rejoin: false,
  },
  removed_by_host: {
    title: {id: 'calls.error.removed_host.title', defaultMessage: 'You were removed from the call'},
    body: {id: 'calls.error.removed_host.body', defaultMessage: 'The host removed you from the call.'},
    rejoin: false,
  },
  join: {
    title: {id: 'calls.error.join.title', defaultMessage: 'Unable to join the call'},
    body: {id: 'calls.error.join.body', defaultMessage: 'The server did not let you join the call.'},
    rejoin: false,
  },
  generic: {
    title: {id: 'calls.error.generic.title', defaultMessage: 'Something went wrong with calls'},
    body: {id: 'calls.error.generic.body', defaultMessage: 'Please try to re-join the call.'},
    rejoin: true,
  },
};

function CallErrorModal() {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const [modal, close] = useCallsModal('callErrorModal', 'HIDE_CALL_ERROR_MODAL');
  if (!modal) {
    return null;
  }
  const t = CALL_ERRORS[modal.kind] ?? CALL_ERRORS.generic;
  return (
    <Modal
      id="call-error-modal"
      title={formatMessage(t.title)}
      onClose={close}
      footer={
        <button className="calls-btn calls-btn--primary" onClick={close}>
          {formatMessage({id: 'calls.modal.ok', defaultMessage: 'Okay'})}
        </button>
      }
    >
      <p>{formatMessage(t.body)}</p>
      {modal.kind === 'join' && modal.message && <p data-testid="call-error-detail">{modal.message}</p>}
      {(modal.kind === 'timeout' || modal.kind === 'peer') && <ConnectivityCheckBody autoStart={true} />}
      {t.rejoin && (
        <p>
          <button
            className="calls-btn"
            data-testid="call-error-rejoin"
            onClick={() => {
              close();
              connectCall(store, modal.channelID).catch(() => undefined);
            }}
          >
            {formatMessage({id: 'calls.error.rejoin', defaultMessage: 'Re-join the call'})}
          </button>
        </p>
      )}
      <p>
        <a href={TROUBLESHOOTING_URL} target="_blank" rel="noopener noreferrer">
          {formatMessage({id: 'calls.error.troubleshooting', defaultMessage: 'Troubleshooting calls'})}
        </a>
      </p>
    </Modal>
  );
}

function GenericErrorModal() {
  const {formatMessage} = useIntl();
  const [modal, close] = useCallsModal('genericErrorModal', 'HIDE_GENERIC_ERROR_MODAL');
  if (!modal) {
    return null;
  }
  return (
    <Modal
      id="calls_generic_error"
      title={modal.title}
      onClose={close}
      footer={
        <button className="calls-btn calls-btn--primary" onClick={close}>
          {formatMessage({id: 'calls.modal.ok', defaultMessage: 'Okay'})}
        </button>
      }
    >
      <p>{modal.message}</p>
    </Modal>
  );
}

function SwitchCallModal() {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const [modal, close] = useCallsModal('switchCallModal', 'HIDE_SWITCH_CALL_MODAL');
  const client = useSelector(clientState);
  const from = useSelector((s: GlobalState) => getChannel(s, client?.channelID || ''));
  const to = useSelector((s: GlobalState) => getChannel(s, modal.targetID));
  if (!modal.show) {
    return null;
  }
  const fromName = from?.display_name || from?.name || '';
  const toName = to?.display_name || to?.name || '';
  return (
    <Modal
      id="calls-switch-call-modal"
      title={formatMessage({id: 'calls.switch.title', defaultMessage: "You're already in a call"})}
      onClose={close}
      closeClassName="switch-call-modal-close"
      footer={
        <>
          <button className="calls-btn switch-call-modal-cancel" onClick={close}>
            {formatMessage({id: 'calls.switch.cancel', defaultMessage: 'Cancel'})}
          </button>
          <button
            className="calls-btn calls-btn--primary switch-call-modal-join"
            onClick={() => switchCall(store, modal.targetID).catch(() => undefined)}
          >
            {formatMessage({id: 'calls.switch.join', defaultMessage: 'Leave and join new call'})}
          </button>
        </>
      }
    >
      <p>
        {formatMessage(
          {
            id: 'calls.switch.body',
            defaultMessage: "You're already in a call in {from}. Do you want to leave and join a call in {to}?",
          },
          {from: fromName, to: toName},
        )}
      </p>
    </Modal>
  );
}

export function Modals() {
  return (
    <>
      <CallErrorModal />
      <GenericErrorModal />
      <SwitchCallModal />
      <StopRecordingModal />
    </>
  );
}
