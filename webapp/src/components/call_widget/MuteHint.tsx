// The widget's hint after connecting, for MUTE_HINT_MS: "You're muted. Select (mic) to unmute." (or unmuted).
import React, {useEffect, useState} from 'react';
import {FormattedMessage} from 'react-intl';
import {useSelector} from 'react-redux';

import {MicIcon} from '../common/icons';
import {clientState, mySession, type GlobalState} from '../../state/selectors';

export const MUTE_HINT_MS = 5000;

/** The microphone button's icon inside a sentence (an emoji would depend on the system's fonts). */
function MicInline() {
  return (
    <span className="calls-inline-icon" role="img" aria-label="microphone" data-testid="calls-inline-mic">
      <MicIcon size={14} />
    </span>
  );
}

/** Once per call, right after connecting: whether the microphone is on, and where to change that. */
export function MuteHint() {
  const connected = useSelector((s: GlobalState) => Boolean(clientState(s)?.connected));
  const muted = useSelector((s: GlobalState) => !mySession(s)?.unmuted);
  const [phase, setPhase] = useState<'waiting' | 'shown' | 'done'>('waiting');
  useEffect(() => {
    if (!connected || phase !== 'waiting') {
      return undefined;
    }
    setPhase('shown');
    return undefined;
  }, [connected, phase]);
  useEffect(() => {
    if (phase !== 'shown') {
      return undefined;
    }
    const t = setTimeout(() => setPhase('done'), MUTE_HINT_MS);
    return () => clearTimeout(t);
  }, [phase]);
  if (phase !== 'shown') {
    return null;
  }
  return (
    <div className="calls-notice" data-testid="calls-widget-mute-hint" role="status">
      {muted ? (
        <FormattedMessage
          id="calls.widget.muted_hint"
          defaultMessage="You're muted. Select {icon} to unmute."
          values={{icon: <MicInline />}}
        />
      ) : (
        <FormattedMessage
          id="calls.widget.unmuted_hint"
          defaultMessage="You're unmuted. Select {icon} to mute."
          values={{icon: <MicInline />}}
        />
      )}
    </div>
  );
}
