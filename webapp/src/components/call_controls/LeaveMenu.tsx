// The menu the leave button opens for a host with others in the call: end the call for everyone, or only leave it.
import React, {useRef} from 'react';
import {useIntl} from 'react-intl';

import type {CallControls} from './controls';
import {useDismiss} from '../common/hooks';

export function LeaveMenu({onClose, controls, id}: {onClose: () => void; controls: CallControls; id: string}) {
  const {formatMessage} = useIntl();
  const ref = useRef<HTMLDivElement>(null);
  useDismiss(ref, onClose, '#calls-widget-leave-button, #calls-popout-leave-button');
  return (
    <div ref={ref} className="calls-menu-popup" style={{right: 0}}>
      <div
        id={id}
        className="calls-menu"
        role="menu"
        aria-label={formatMessage({id: 'calls.leave.menu', defaultMessage: 'Leave call menu'})}
      >
        <button
          role="menuitem"
          className="calls-menu-danger"
          id={`${id}-end-call`}
          onClick={() => {
            onClose();
            controls.endForEveryone();
          }}
        >
          {formatMessage({id: 'calls.leave.end_for_everyone', defaultMessage: 'End call for everyone'})}
          <span className="calls-menu-sub">
            {formatMessage({id: 'calls.leave.end_sub', defaultMessage: 'All participants will be disconnected'})}
          </span>
        </button>
        <button
          role="menuitem"
          id={`${id}-leave-call`}
          onClick={() => {
            onClose();
            controls.leave();
          }}
        >
          {formatMessage({id: 'calls.leave.leave', defaultMessage: 'Leave call'})}
        </button>
        <button role="menuitem" onClick={onClose}>
          {formatMessage({id: 'calls.leave.cancel', defaultMessage: 'Cancel'})}
        </button>
      </div>
    </div>
  );
}
