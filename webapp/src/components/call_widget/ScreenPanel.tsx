// The widget's screen-share panel: the presenter's screen with a "Pop out" button, or, while I present, a note and
// "Stop sharing".
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {ScreenPlayer} from '../common/ScreenPlayer';
import {useCallsClient, useCallsStore} from '../common/hooks';
import {expandCall} from '../../call_flow';
import {
  clientState,
  displayName,
  profiles,
  screenSharingSessionID,
  sessionsInChannel,
  type GlobalState,
} from '../../state/selectors';

export function ScreenPanel({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const client = useCallsClient(['remoteScreenStream', 'localScreenStream']);
  const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const users = useSelector(profiles);
  const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
  if (!presenter) {
    return null;
  }
  const mine = presenter === mySessionID;
  const presenterName = displayName(users[sessions[presenter]?.user_id || ''], 'Someone');
  if (mine) {
    return (
      <div className="calls-screen-panel" data-testid="calls-widget-screen-panel">
        <div className="calls-screen-panel-footer">
          <span style={{flex: 1}}>
            {formatMessage({id: 'calls.screen.sharing', defaultMessage: "You're sharing your screen"})}
          </span>
          <button
            className="calls-btn calls-btn--danger"
            data-testid="calls-widget-stop-screenshare"
            aria-label={formatMessage({id: 'calls.screen.stop_sharing', defaultMessage: 'Stop sharing'})}
            onClick={() => client?.stopScreenShare().catch(() => undefined)}
          >
            {formatMessage({id: 'calls.screen.stop_sharing', defaultMessage: 'Stop sharing'})}
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="calls-screen-panel" data-testid="calls-widget-screen-panel">
      <ScreenPlayer id="screen-player" stream={client?.remoteScreenStream ?? null} />
      <div className="calls-screen-panel-footer">
        <span style={{flex: 1}}>
          {formatMessage(
            {id: 'calls.screen.viewing', defaultMessage: "You're viewing {name}'s screen"},
            {name: presenterName},
          )}
        </span>
        <button
          className="calls-btn"
          aria-label={formatMessage({id: 'calls.screen.popout', defaultMessage: 'Pop out'})}
          onClick={() => expandCall(store, channelID)}
        >
          {formatMessage({id: 'calls.screen.popout', defaultMessage: 'Pop out'})}
        </button>
      </div>
    </div>
  );
}
