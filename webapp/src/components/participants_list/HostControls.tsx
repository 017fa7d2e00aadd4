// Host controls on a participant row (reference webapp.md §2.7): mute, stop screen share, lower hand, make host and
// remove (with a confirmation), for the call's host or a system admin when HostControlsAllowed.
import React, {useEffect, useRef, useState} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {DotsIcon} from '../common/icons';
import {useCallsStore} from '../common/hooks';
import {Rest} from '../../client/rest';
import {showGenericError} from '../../state/actions';
import {callsConfig, canHostControl, displayName, profiles, type GlobalState} from '../../state/selectors';
import type {SessionUI} from '../../state/calls_state';

export function useHostControlsAvailable(channelID: string): boolean {
  const allowed = useSelector((s: GlobalState) => callsConfig(s).HostControlsAllowed);
  const can = useSelector((s: GlobalState) => canHostControl(s, channelID));
  return allowed && can;
}

export function HostControlsMenu({
  channelID,
  session,
  isHost,
  presenting,
}: {
  channelID: string;
  session: SessionUI;
  isHost: boolean;
  presenting: boolean;
}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const users = useSelector(profiles);
  const [open, setOpen] = useState(false);
  const [confirm, setConfirm] = useState(false);
  // The participant lists scroll (overflow: auto), which would clip a popup positioned inside them: the
  // menu is fixed to the viewport just above the button instead, and closes when anything scrolls.
  const [anchor, setAnchor] = useState<React.CSSProperties>({});
  const ref = useRef<HTMLSpanElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open && !confirm) {
      return undefined;
    }
    const close = () => {
      setOpen(false);
      setConfirm(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        close();
      }
    };
    // A click or a scroll anywhere outside the menu closes it.
    const onOutside = (e: Event) => {
      if (ref.current && !ref.current.contains(e.target as Node)) {
        close();
      }
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onOutside);
    document.addEventListener('scroll', onOutside, true);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onOutside);
      document.removeEventListener('scroll', onOutside, true);
    };
  }, [open, confirm]);
  const toggle = () => {
    const r = buttonRef.current?.getBoundingClientRect();
    if (r) {
      setAnchor({
        position: 'fixed',
        bottom: window.innerHeight - r.top + 6,
        right: window.innerWidth - r.right,
        marginBottom: 0,
      });
    }
    setOpen((v) => !v);
  };

  const name = displayName(users[session.user_id], session.user_id);
  const run = (fn: () => Promise<unknown>) => {
    setOpen(false);
    setConfirm(false);
    fn().catch((err) =>
      showGenericError(
        store,
        formatMessage({id: 'calls.host.failed', defaultMessage: 'Host control failed'}),
        (err as Error).message,
      ),
    );
  };
  return (
    <span ref={ref} style={{position: 'relative'}}>
      <button
        className="calls-btn"
        data-testid="calls-host-controls-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={formatMessage({id: 'calls.host.menu', defaultMessage: 'Host controls for {name}'}, {name})}
        ref={buttonRef}
        onClick={toggle}
      >
        <DotsIcon size={12} />
      </button>
      {open && (
        <div className="calls-menu-popup" style={anchor}>
          <div
            className="calls-menu"
            role="menu"
            aria-label={formatMessage({id: 'calls.host.menu', defaultMessage: 'Host controls for {name}'}, {name})}
          >
            {session.unmuted && (
              <button role="menuitem" onClick={() => run(() => Rest.hostMute(channelID, session.session_id))}>
                {formatMessage({id: 'calls.host.mute', defaultMessage: 'Mute participant'})}
              </button>
            )}
            {presenting && (
              <button role="menuitem" onClick={() => run(() => Rest.hostScreenOff(channelID, session.session_id))}>
                {formatMessage({id: 'calls.host.screen_off', defaultMessage: 'Stop screen share'})}
              </button>
            )}
            {session.raised_hand > 0 && (
              <button role="menuitem" onClick={() => run(() => Rest.hostLowerHand(channelID, session.session_id))}>
                {formatMessage({id: 'calls.host.lower_hand', defaultMessage: 'Lower hand'})}
              </button>
            )}
            {!isHost && (
              <button role="menuitem" onClick={() => run(() => Rest.hostMake(channelID, session.user_id))}>
                {formatMessage({id: 'calls.host.make', defaultMessage: 'Make host'})}
              </button>
            )}
            <div role="separator" className="calls-menu-separator" />
            <button
              role="menuitem"
              className="calls-menu-danger"
              onClick={() => {
                setOpen(false);
                setConfirm(true);
              }}
            >
              {formatMessage({id: 'calls.host.remove', defaultMessage: 'Remove from call'})}
            </button>
          </div>
        </div>
      )}
      {confirm && (
        <div
          className="calls-menu-popup calls-menu"
          style={{...anchor, padding: 12, width: 240}}
          role="dialog"
          aria-label={formatMessage({id: 'calls.host.remove_title', defaultMessage: 'Remove participant'})}
        >
          <b>{formatMessage({id: 'calls.host.remove_title', defaultMessage: 'Remove participant'})}</b>
          <p>
            {formatMessage(
              {id: 'calls.host.remove_body', defaultMessage: 'Are you sure you want to remove {name} from the call?'},
              {name},
            )}
          </p>
          <button
            className="calls-menu-danger"
            onClick={() => run(() => Rest.hostRemove(channelID, session.session_id))}
          >
            {formatMessage({id: 'calls.host.remove_yes', defaultMessage: 'Yes, remove'})}
          </button>
          <button onClick={() => setConfirm(false)}>
            {formatMessage({id: 'calls.leave.cancel', defaultMessage: 'Cancel'})}
          </button>
        </div>
      )}
    </span>
  );
}

/** "Mute others" in the participants header, for hosts when someone else is unmuted. */
export function MuteOthersButton({channelID, othersUnmuted}: {channelID: string; othersUnmuted: boolean}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const available = useHostControlsAvailable(channelID);
  if (!available || !othersUnmuted) {
    return null;
  }
  return (
    <button
      className="calls-btn"
      style={{float: 'right', padding: '0 6px', fontSize: 11}}
      onClick={() =>
        Rest.hostMuteOthers(channelID).catch((err) =>
          showGenericError(
            store,
            formatMessage({id: 'calls.host.failed', defaultMessage: 'Host control failed'}),
            (err as Error).message,
          ),
        )
      }
    >
      {formatMessage({id: 'calls.host.mute_others', defaultMessage: 'Mute others'})}
    </button>
  );
}
