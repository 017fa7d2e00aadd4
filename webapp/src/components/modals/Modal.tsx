// A minimal accessible dialog: labelled by its title, closes on Escape, on the close button and on a backdrop click.
import React, {useCallback, useId} from 'react';
import {useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {CloseIcon} from '../common/icons';
import {action} from '../../state/action_types';
import {Backdrop, useEscapeKey} from '../../utils/dismiss';
import type {CallsState} from '../../state/calls_state';
import {callsState, type GlobalState} from '../../state/selectors';

type CallsModal = 'switchCallModal' | 'callErrorModal' | 'genericErrorModal' | 'stopRecordingModal';
type HideCallsModal =
  'HIDE_SWITCH_CALL_MODAL' | 'HIDE_CALL_ERROR_MODAL' | 'HIDE_GENERIC_ERROR_MODAL' | 'HIDE_STOP_RECORDING_MODAL';

/** One of the calls slice's modals: its state, and a stable function that closes it. */
export function useCallsModal<K extends CallsModal>(key: K, hide: HideCallsModal): [CallsState[K], () => void] {
  const dispatch = useDispatch();
  const modal = useSelector((s: GlobalState) => callsState(s)[key]);
  const close = useCallback(() => dispatch(action(hide, {})), [dispatch, hide]);
  return [modal, close];
}

export function Modal({
  id,
  title,
  onClose,
  children,
  footer,
  closeClassName = '',
}: {
  id: string;
  title: React.ReactNode;
  onClose: () => void;
  children: React.ReactNode;
  footer?: React.ReactNode;
  closeClassName?: string;
}) {
  const {formatMessage} = useIntl();
  const titleID = useId();
  useEscapeKey(onClose);
  return (
    <Backdrop className="calls-modal-backdrop" onClose={onClose}>
      <div id={id} className="calls-modal a11y__modal" role="dialog" aria-modal="true" aria-labelledby={titleID}>
        <button
          className={`calls-modal-close ${closeClassName}`.trim()}
          aria-label={formatMessage({id: 'calls.modal.close', defaultMessage: 'Close'})}
          onClick={onClose}
        >
          <CloseIcon />
        </button>
        <h2 id={titleID}>{title}</h2>
        <div>{children}</div>
        {footer && <div className="calls-modal-footer">{footer}</div>}
      </div>
    </Backdrop>
  );
}
