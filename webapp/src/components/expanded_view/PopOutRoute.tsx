// The pop-out window's page (/{team}/com.mattermost.calls/expanded/{channelId}, registerNeedsTeamRoute): the
// expanded view over the opener's call connection. It mirrors the opener's session into this window's store, asks
// for the call's state on this window's main websocket, and closes itself when the call it shows closes.
import React, {useEffect, useState} from 'react';
import {useIntl} from 'react-intl';

import {useCallsStore} from '../common/hooks';
import {ExpandedView} from './ExpandedView';
import {listen, openerCallsClient} from '../../client/current';
import {sendCallsAction} from '../../client/events_socket';
import {wsPrefix} from '../../manifest';
import {popOutChannelID} from '../../popout';
import {action} from '../../state/action_types';

export function PopOutRoute() {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const channelID = popOutChannelID(window.location.pathname);
  const [client] = useState(() => openerCallsClient());
  const inThisCall = Boolean(client && client.channelID === channelID);

  useEffect(() => {
    if (!client || !inThisCall) {
      return undefined;
    }
    const attach = () =>
      store.dispatch(
        action('CLIENT_ATTACHED', {channelID, sessionID: client.sessionID, connected: client.isConnected}),
      );
    attach();
    sendCallsAction(`${wsPrefix}call_state`, {channelID});
    const offs = [
      listen(client, 'joined', attach),
      listen(client, 'connect', attach),
      listen(client, 'close', () => {
        store.dispatch(action('CLIENT_DISCONNECTED', {channelID}));
        window.close();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [client, inThisCall, channelID, store]);

  if (!inThisCall) {
    return (
      <div id="calls-popout-no-call" className="calls-popout-empty" role="status">
        {formatMessage({
          id: 'calls.popout.no_call',
          defaultMessage: 'You are not connected to this call. You can close this window.',
        })}
      </div>
    );
  }
  return <ExpandedView channelID={channelID} popout={true} />;
}
