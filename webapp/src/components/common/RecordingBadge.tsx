// The "● REC" badge beside the call's duration while the call is being recorded (widget and expanded view).
import React from 'react';
import {useSelector} from 'react-redux';

import {callsState, type GlobalState} from '../../state/selectors';
import {untranslatable} from '../../utils/intl';

export function RecordingBadge({channelID}: {channelID: string}) {
  const rec = useSelector((s: GlobalState) => callsState(s).recordings[channelID]);
  if (!rec || !(rec.start_at > rec.end_at)) {
    return null;
  }
  return (
    <span className="calls-recording-badge" data-testid="calls-recording-badge">
      {untranslatable('● REC')}
    </span>
  );
}
