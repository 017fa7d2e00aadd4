// Joins the call of the channel a `?join_call=true` link opened (the links `/call link` posts).
import {useEffect} from 'react';
import {useSelector} from 'react-redux';

import {useCallsStore} from '../common/hooks';
import {joinCall} from '../../call_flow';
import {showGenericError} from '../../state/actions';
import {callsState, currentChannelId, type GlobalState} from '../../state/selectors';

export function JoinCallWatcher() {
  const store = useCallsStore();
  const channelID = useSelector(currentChannelId);
  const loaded = useSelector((s: GlobalState) => callsState(s).loaded);
  useEffect(() => {
    if (!channelID || !loaded) {
      return;
    }
    const url = new URL(window.location.href);
    if (url.searchParams.get('join_call') !== 'true') {
      return;
    }
    url.searchParams.delete('join_call');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    joinCall(store, channelID).catch((err) => showGenericError(store, 'Unable to join call', (err as Error).message));
  }, [channelID, loaded, store]);
  return null;
}
