// Incoming DM/GM call cards (reference webapp.md §2.11): the newest call gets a full card ("X is inviting you to a
// call", Ignore / Join), older ones a condensed line. While the user is in a call, only condensed cards show, above
// the widget. Clicking a card's text opens the call's channel.
import React from 'react';
import {defineMessages, useIntl, type MessageDescriptor} from 'react-intl';
import {useSelector} from 'react-redux';

import {Avatar} from '../common/Avatar';
import {navigateTo, useCallsStore} from '../common/hooks';
import {CloseIcon, PhoneIcon} from '../common/icons';
import {joinOrOfferSwitch} from '../../call_flow';
import {isPopOutWindow} from '../../popout';
import type {IncomingCall} from '../../state/calls_state';
import {dismissIncomingCall} from '../../state/ringing';
import {
  callsState,
  channelURL,
  clientState,
  currentUserId,
  displayName,
  getChannel,
  profiles,
  type GlobalState,
} from '../../state/selectors';
import type {StoreLike} from '../../state/store_like';

const b = (c: React.ReactNode) => <b>{c}</b>;

/** A card's caller line, alone or naming the GM's other members. */
type CallerMessages = {alone: MessageDescriptor; withOthers: MessageDescriptor};

const INVITE: CallerMessages = defineMessages({
  alone: {id: 'calls.incoming.invite', defaultMessage: '<b>{name}</b> is inviting you to a call'},
  withOthers: {
    id: 'calls.incoming.invite_with',
    defaultMessage: '<b>{name}</b> is inviting you to a call with <b>{others}</b>',
  },
});

const CALL_FROM: CallerMessages = defineMessages({
  alone: {id: 'calls.incoming.from', defaultMessage: 'Call from <b>{name}</b>'},
  withOthers: {id: 'calls.incoming.from_with', defaultMessage: 'Call from <b>{name}</b> with <b>{others}</b>'},
});

function CallerText({caller, others, text}: {caller: string; others: string; text: CallerMessages}) {
  const {formatMessage} = useIntl();
  return (
    <>
      {others
        ? formatMessage(text.withOthers, {name: caller, others, b})
        : formatMessage(text.alone, {name: caller, b})}
    </>
  );
}

/** The other members of a GM, from its display name (the host lists member usernames), minus caller and me. */
function othersIn(state: GlobalState, call: IncomingCall): string[] {
  if (call.type !== 'GM') {
    return [];
  }
  const channel = getChannel(state, call.channelID);
  const users = profiles(state);
  const skip = new Set([displayName(users[call.callerID], ''), displayName(users[currentUserId(state)], '')]);
  return (channel?.display_name || '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n && !skip.has(n));
}

function useCallText(call: IncomingCall) {
  const caller = useSelector((s: GlobalState) => displayName(profiles(s)[call.callerID], 'Someone'));
  const others = useSelector((s: GlobalState) => othersIn(s, call).join(', '));
  return {caller, others};
}

function goToChannel(store: StoreLike, call: IncomingCall): void {
  const channel = getChannel(store.getState(), call.channelID);
  if (channel) {
    navigateTo(channelURL(store.getState(), channel));
  }
}

function dismiss(store: StoreLike, call: IncomingCall): void {
  dismissIncomingCall(store, call).catch((err) => console.warn('calls: dismissing failed', err));
}

/** A condensed card's button: an icon, labelled for screen readers. */
function IconButton(props: {name: 'join' | 'dismiss'; label: string; onClick: () => void; children: React.ReactNode}) {
  return (
    <button
      className={props.name === 'join' ? 'calls-btn calls-btn--on' : 'calls-btn'}
      data-testid={`call-incoming-condensed-${props.name}`}
      aria-label={props.label}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

/** A call ringing for me: an alert dialog named for the caller, full size or condensed (one line). */
function IncomingCard({call, condensed = false}: {call: IncomingCall; condensed?: boolean}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const {caller, others} = useCallText(call);
  const join = () => joinOrOfferSwitch(store, call.channelID);
  const ignore = () => dismiss(store, call);
  const joinLabel = formatMessage({id: 'calls.incoming.join', defaultMessage: 'Join'});
  const ignoreLabel = formatMessage({id: 'calls.incoming.ignore', defaultMessage: 'Ignore'});
  return (
    <div
      className={condensed ? 'calls-incoming calls-incoming--condensed' : 'calls-incoming'}
      data-testid={condensed ? 'call-incoming-condensed' : 'call-incoming'}
      data-call-id={call.callID}
      role="alertdialog"
      aria-label={formatMessage(
        {id: 'calls.incoming.label', defaultMessage: 'Incoming call from {name}'},
        {name: caller},
      )}
    >
      {condensed ? (
        <>
          <span className="calls-incoming-body" onClick={() => goToChannel(store, call)}>
            <CallerText caller={caller} others={others} text={CALL_FROM} />
          </span>
          <IconButton name="join" label={joinLabel} onClick={join}>
            <PhoneIcon />
          </IconButton>
          <IconButton name="dismiss" label={ignoreLabel} onClick={ignore}>
            <CloseIcon size={12} />
          </IconButton>
        </>
      ) : (
        <>
          <div className="calls-incoming-body" onClick={() => goToChannel(store, call)}>
            <Avatar userID={call.callerID} size={32} />
            <span>
              <CallerText caller={caller} others={others} text={INVITE} />
            </span>
          </div>
          <div className="calls-incoming-buttons">
            <button className="calls-btn" data-testid="call-incoming-ignore" onClick={ignore}>
              {ignoreLabel}
            </button>
            <button className="calls-btn calls-btn--on" data-testid="call-incoming-join" onClick={join}>
              <PhoneIcon />
              {joinLabel}
            </button>
          </div>
        </>
      )}
    </div>
  );
}

/** The cards shown inside the widget's stack while in a call: condensed only. */
export function CondensedIncomingCalls() {
  const calls = useSelector((s: GlobalState) => callsState(s).incomingCalls);
  return (
    <>
      {[...calls].reverse().map((c) => (
        <IncomingCard key={c.callID} call={c} condensed />
      ))}
    </>
  );
}

/** The global component: the cards at the bottom left while not in a call (in a call the widget shows them). */
export function IncomingCallContainer() {
  const calls = useSelector((s: GlobalState) => callsState(s).incomingCalls);
  const inCall = useSelector((s: GlobalState) => Boolean(clientState(s)));
  if (!calls.length || inCall || isPopOutWindow()) {
    return null;
  }
  const newest = calls[calls.length - 1];
  const older = calls.slice(0, -1).reverse();
  return (
    <div id="calls-incoming-calls" className="calls-incoming-container">
      {older.map((c) => (
        <IncomingCard key={c.callID} call={c} condensed />
      ))}
      <IncomingCard call={newest} />
    </div>
  );
}
