// Short-lived notices above the call controls: "X has joined the call." and host-control notices (5 s each).
import React from 'react';
import {FormattedMessage} from 'react-intl';
import {useSelector} from 'react-redux';

import {callsState, currentUserId, displayName, profiles, type GlobalState} from '../../state/selectors';

const b = (c: React.ReactNode) => <b>{c}</b>;

export function Notices({channelID}: {channelID: string}) {
  const me = useSelector(currentUserId);
  const users = useSelector(profiles);
  const joined = useSelector((s: GlobalState) => callsState(s).recentlyJoinedUsers[channelID]) || [];
  const notices = useSelector((s: GlobalState) => callsState(s).hostNotices).filter((n) => n.channelID === channelID);
  // A polite live region: screen readers announce who joined and what the host did (the chips are visual only).
  return (
    <div className="calls-notices" role="status" aria-live="polite">
      {joined
        .filter((u) => u !== me)
        .map((userID) => (
          <div key={`joined-${userID}`} className="calls-notice" data-testid="call-joined-participant-notification">
            <FormattedMessage
              id="calls.notice.joined"
              defaultMessage="<b>{name}</b> has joined the call."
              values={{name: displayName(users[userID], userID), b}}
            />
          </div>
        ))}
      {notices.map((n) => {
        let body: React.ReactNode;
        if (n.type === 'host_changed') {
          body =
            n.userID === me ? (
              <FormattedMessage id="calls.notice.you_host" defaultMessage="You are now the host" />
            ) : (
              <FormattedMessage
                id="calls.notice.new_host"
                defaultMessage="<b>{name}</b> is now the host"
                values={{name: displayName(users[n.userID], n.userID), b}}
              />
            );
        } else if (n.type === 'lower_hand') {
          body = (
            <FormattedMessage
              id="calls.notice.lowered_hand"
              defaultMessage="<b>{name}</b> lowered your hand"
              values={{name: displayName(users[n.hostID || ''], 'Host'), b}}
            />
          );
        } else {
          body = (
            <FormattedMessage
              id="calls.notice.removed"
              defaultMessage="<b>{name}</b> was removed from the call"
              values={{name: displayName(users[n.userID], n.userID), b}}
            />
          );
        }
        return (
          <div key={n.id} className="calls-notice" data-testid="calls-host-notice">
            {body}
          </div>
        );
      })}
    </div>
  );
}
