// The status icons a participant shows in the list and in the expanded view's grid: muted or unmuted, and hand
// raised, each an image labelled for screen readers. `testID` (the list's) names them for tests.
import React, {type ReactNode} from 'react';
import {useIntl} from 'react-intl';

import {HandIcon, MicIcon, MicOffIcon} from '../common/icons';

function Badge({name, icon, label, testID}: {name: string; icon: ReactNode; label: string; testID?: string}) {
  return (
    <span className={`calls-icon-${name}`} data-testid={testID && `${testID}-${name}`} role="img" aria-label={label}>
      {icon}
    </span>
  );
}

export function MuteBadge({unmuted, testID}: {unmuted: boolean; testID?: string}) {
  const {formatMessage} = useIntl();
  return unmuted ? (
    <Badge
      name="unmuted"
      icon={<MicIcon />}
      label={formatMessage({id: 'calls.participants.unmuted', defaultMessage: 'Unmuted'})}
      testID={testID}
    />
  ) : (
    <Badge
      name="muted"
      icon={<MicOffIcon />}
      label={formatMessage({id: 'calls.participants.muted', defaultMessage: 'Muted'})}
      testID={testID}
    />
  );
}

export function HandBadge({testID}: {testID?: string}) {
  const {formatMessage} = useIntl();
  return (
    <Badge
      name="hand"
      icon={<HandIcon />}
      label={formatMessage({id: 'calls.participants.hand', defaultMessage: 'Hand raised'})}
      testID={testID}
    />
  );
}
