// The status icons a participant shows in the list and in the expanded view's grid: muted or unmuted, and hand
// raised, each an image labelled for screen readers. `testID` (the list's) names them for tests.
import React from 'react';
import {useIntl} from 'react-intl';

import {HandIcon, MicIcon, MicOffIcon} from '../common/icons';

export function MuteBadge({unmuted, testID}: {unmuted: boolean; testID?: string}) {
  const {formatMessage} = useIntl();
  return unmuted ? (
    <span
      className="calls-icon-unmuted"
      data-testid={testID && `${testID}-unmuted`}
      role="img"
      aria-label={formatMessage({id: 'calls.participants.unmuted', defaultMessage: 'Unmuted'})}
    >
      <MicIcon />
    </span>
  ) : (
    <span
      className="calls-icon-muted"
      data-testid={testID && `${testID}-muted`}
      role="img"
      aria-label={formatMessage({id: 'calls.participants.muted', defaultMessage: 'Muted'})}
    >
      <MicOffIcon />
    </span>
  );
}

export function HandBadge({testID}: {testID?: string}) {
  const {formatMessage} = useIntl();
  return (
    <span
      className="calls-icon-hand"
      data-testid={testID && `${testID}-hand`}
      role="img"
      aria-label={formatMessage({id: 'calls.participants.hand', defaultMessage: 'Hand raised'})}
    >
      <HandIcon />
    </span>
  );
}
