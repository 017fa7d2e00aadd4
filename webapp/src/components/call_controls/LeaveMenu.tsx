// The menu the leave button opens for a host with others in the call: end the call for everyone, or only leave it.
import React, {useRef} from 'react';
import {useIntl} from 'react-intl';

import {ActionItem} from './ActionItem';
import type {CallControls} from './controls';
import {useDismiss} from '../../utils/dismiss';

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
        <ActionItem
          id={`${id}-end-call`}
          className="calls-menu-danger"
          onClose={onClose}
          act={() => controls.endForEveryone()}
        >
          {formatMessage({id: 'calls.leave.end_for_everyone', defaultMessage: 'End call for everyone'})}
          <span className="calls-menu-sub">
            {formatMessage({id: 'calls.leave.end_sub', defaultMessage: 'All participants will be disconnected'})}
          </span>
        </ActionItem>
        <ActionItem id={`${id}-leave-call`} onClose={onClose} act={() => controls.leave()}>
          {formatMessage({id: 'calls.leave.leave', defaultMessage: 'Leave call'})}
        </ActionItem>
        <button role="menuitem" onClick={onClose}>
          {formatMessage({id: 'calls.leave.cancel', defaultMessage: 'Cancel'})}
        </button>
      </div>
    </div>
  );
}
