// The widget's "Open in new window" button: opens the call in the pop-out window (or the in-page expanded view).
import React from 'react';
import {useIntl} from 'react-intl';

import {useCallsStore} from '../common/hooks';
import {ExpandIcon} from '../common/icons';
import {expandCall} from '../../call_flow';
import {Tooltip} from '../common/Tooltip';

export function ExpandButton({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const label = formatMessage({id: 'calls.widget.expand', defaultMessage: 'Open in new window'});
  return (
    <Tooltip text={label}>
      <button
        className="calls-btn"
        id="calls-widget-expand-button"
        aria-label={label}
        onClick={() => expandCall(store, channelID)}
      >
        <ExpandIcon />
      </button>
    </Tooltip>
  );
}
