// A participant's camera in a video DM: my own capture (mirrored if chosen in Settings › Calls) or the video the SFU
// forwards for another session; null while that session's camera is off, so the tile shows the avatar instead.
import React from 'react';

import {useCallsClient} from './hooks';
import {ScreenPlayer} from './ScreenPlayer';
import {mirrorSelfVideo} from '../../client/devices';
import type {SessionUI} from '../../state/calls_state';

export function SessionVideo({
  session,
  self,
  id,
  fallback,
}: {
  session: SessionUI;
  self: boolean;
  id: string;
  /** What the tile shows while there is no video (the avatar). */
  fallback: React.ReactNode;
}) {
  const client = useCallsClient(['localVideoStream', 'remoteVideoStream']);
  if (!client?.videoEnabled) {
    return <>{fallback}</>;
  }
  const stream = self ? client.localVideoStream : session.video ? client.remoteVideoStream(session.session_id) : null;
  if (!stream) {
    return <>{fallback}</>;
  }
  return <ScreenPlayer id={id} stream={stream} mirror={self && mirrorSelfVideo()} />;
}
