// The call controls shared by the widget and the expanded view: what each button does and whether it is available,
// derived from the store and the live client, plus the keyboard shortcuts bound while a call UI is mounted.
import {useCallback, useEffect} from 'react';
import {useSelector} from 'react-redux';

import {endCallForEveryone, leaveCall} from '../../call_flow';
import {getCallsClient} from '../../client/current';
import {useCallsClient, useCallsStore} from '../common/hooks';
import {captureScreen, shareAudioWithScreen} from '../../client/devices';
import type {CallsClient} from '../../client/calls_client';
import {isPopOutWindow} from '../../popout';
import {action} from '../../state/action_types';
import {isTypingOutside, shortcutFor} from '../../shortcuts';
import {
  callsConfig,
  canHostControl,
  clientState,
  currentUserId,
  getChannel,
  isDMOrGM,
  mySession,
  screenSharingSessionID,
  sessionsInChannel,
  type GlobalState,
} from '../../state/selectors';

/**
 * The call UI a control is drawn in, which is also the prefix of its element ids: the widget, or the expanded view
 * (whose ids say "popout" both in the pop-out window and in the page).
 */
export type ControlsSurface = 'calls-widget' | 'calls-popout';

/** The expanded view's toolbar has larger icons than the widget's bar. */
export function controlIconSize(surface: ControlsSurface): number {
  return surface === 'calls-widget' ? 16 : 20;
}

export interface CallControls {
  channelID: string;
  muted: boolean;
  /** No microphone, or no permission to use it. */
  micUnavailable: 'missing' | 'permission' | null;
  handRaised: boolean;
  sharing: boolean;
  someoneElseSharing: boolean;
  canShare: boolean;
  canRaiseHand: boolean;
  /** A video DM (EnableVideo): the camera button and picker are shown. */
  videoEnabled: boolean;
  videoOn: boolean;
  /** Host/admin with others in a non-DM call: leaving asks "end for everyone or leave". */
  leaveNeedsMenu: boolean;
  toggleMute: () => void;
  toggleHand: () => void;
  toggleScreen: () => void;
  toggleVideo: () => void;
  leave: () => void;
  endForEveryone: () => void;
}

/** Space/Enter on a focused button is a click in Mattermost: blur first so a toggle cannot fire twice. */
function blurActive() {
  (document.activeElement as HTMLElement | null)?.blur?.();
}

/** A control on the live call's client (none: nothing happens); the focus leaves the button first. */
function onClient(act: (c: CallsClient) => void): () => void {
  return () => {
    blurActive();
    const c = getCallsClient();
    if (c) {
      act(c);
    }
  };
}

const toggleMute = onClient((c) => {
  (c.isMuted ? c.unmute() : c.mute()).catch(() => undefined);
});
const toggleHand = onClient((c) => (c.isHandRaised ? c.lowerHand() : c.raiseHand()));
const toggleVideo = onClient((c) => {
  if (c.videoEnabled) {
    (c.isVideoOn ? c.stopVideo() : c.startVideo()).catch(() => undefined);
  }
});

let stopOnPageHide: (() => void) | null = null;

/**
 * The pop-out captures the screen itself (getDisplayMedia needs the user gesture of the window it runs in) and hands
 * the stream to the opener's client. A share started here stops when the pop-out closes, as its capture would.
 */
function shareScreenFromPopOut(client: CallsClient, onError: () => void): void {
  captureScreen(shareAudioWithScreen()).then(
    (stream) => {
      client.shareScreen(stream).catch(() => undefined);
      if (stopOnPageHide) {
        window.removeEventListener('pagehide', stopOnPageHide);
      }
      stopOnPageHide = () => {
        if (client.localScreenStream === stream) {
          client.stopScreenShare().catch(() => undefined);
        }
      };
      window.addEventListener('pagehide', stopOnPageHide);
    },
    () => onError(),
  );
}

export function useCallControls(): CallControls {
  const store = useCallsStore();
  const client = useSelector(clientState);
  const channelID = client?.channelID || '';
  const me = useSelector(mySession);
  const myUserID = useSelector(currentUserId);
  const channel = useSelector((s: GlobalState) => getChannel(s, channelID));
  const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const allowScreen = useSelector((s: GlobalState) => callsConfig(s).AllowScreenSharing);
  const hostControl = useSelector((s: GlobalState) => canHostControl(s, channelID));

  const liveClient = useCallsClient(['initaudio', 'audioError', 'localVideoStream']);
  const muted = !me?.unmuted;
  const handRaised = Boolean(me?.raised_hand);
  const sharing = Boolean(presenter) && presenter === client?.sessionID;
  const someoneElseSharing = Boolean(presenter) && presenter !== client?.sessionID;
  const others = Object.values(sessions).filter((s) => s.user_id !== myUserID).length;
  const leaveNeedsMenu = hostControl && others > 0 && !isDMOrGM(channel) && Boolean(client?.connected);

  const toggleScreen = useCallback(() => {
    const c = getCallsClient();
    if (!c) {
      return;
    }
    if (c.localScreenStream) {
      c.stopScreenShare().catch(() => undefined);
    } else if (!someoneElseSharing) {
      if (isPopOutWindow()) {
        shareScreenFromPopOut(c, () => store.dispatch(action('ALERT_SHOW', {kind: 'missingScreenPermissions'})));
      } else {
        c.shareScreen().catch(() => undefined);
      }
    }
  }, [someoneElseSharing, store]);
  const leave = useCallback(() => leaveCall(), []);
  const endForEveryone = useCallback(() => {
    endCallForEveryone(store, channelID).catch(() => undefined);
  }, [store, channelID]);

  return {
    channelID,
    muted,
    micUnavailable: liveClient?.audioError ?? null,
    handRaised,
    sharing,
    someoneElseSharing,
    canShare: allowScreen && !someoneElseSharing && Boolean(client?.connected),
    // Only a 1:1 DM has no use for it (reference webapp.md): in a group message several people may want the floor.
    canRaiseHand: channel?.type !== 'D',
    videoEnabled: Boolean(liveClient?.videoEnabled),
    videoOn: Boolean(liveClient?.isVideoOn),
    leaveNeedsMenu,
    toggleMute,
    toggleHand,
    toggleScreen,
    toggleVideo,
    leave,
    endForEveryone,
  };
}

/** Binds the in-call shortcuts while mounted (reference webapp.md §2.16). */
export function useCallShortcuts(
  controls: CallControls,
  extra: {
    toggleParticipants: () => void;
    openLeave: () => void;
    toggleReactions?: () => void;
    toggleRecording?: () => void;
    popout?: boolean;
  },
): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const name = shortcutFor(e);
      if (!name || name === 'join') {
        return;
      }
      if (extra.popout && isTypingOutside(e.target, '#calls-expanded-view')) {
        // The pop-out's chat: keys typed there are the message's.
        return;
      }
      switch (name) {
        case 'mute':
          controls.toggleMute();
          break;
        case 'hand':
          if (controls.canRaiseHand) {
            controls.toggleHand();
          }
          break;
        case 'screen':
          controls.toggleScreen();
          break;
        case 'participants':
          blurActive();
          extra.toggleParticipants();
          break;
        case 'leave':
          if (controls.leaveNeedsMenu) {
            extra.openLeave();
          } else {
            controls.leave();
          }
          break;
        case 'reactions':
          if (!extra.toggleReactions) {
            return;
          }
          extra.toggleReactions();
          break;
        case 'recording':
          if (!extra.toggleRecording) {
            return;
          }
          extra.toggleRecording();
          break;
        default:
          return;
      }
      e.preventDefault();
      e.stopImmediatePropagation();
    };
    document.addEventListener('keydown', onKey, true);
    return () => document.removeEventListener('keydown', onKey, true);
  }, [controls, extra]);
}
