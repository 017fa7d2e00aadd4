// The expanded view (reference webapp.md §2.3), shown in-window over the page: participant tiles or the large screen
// player, the reaction stream, the controls row (participants, mute, share, reactions, leave) and a participants panel.
import React, {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {ChatButton} from './ChatButton';
import {EmojiBar} from './EmojiBar';
import {ParticipantsGrid} from './ParticipantsGrid';
import {usePushToTalk} from './push_to_talk';
import {ReactionStream} from './ReactionStream';
import {RecordButton, useToggleRecording} from './RecordButton';
import {Banners} from '../call_alerts/Banners';
import {Notices} from '../call_alerts/Notices';
import {useCallControls, useCallShortcuts} from '../call_controls/controls';
import {LeaveButton} from '../call_controls/LeaveButton';
import {LeaveMenu} from '../call_controls/LeaveMenu';
import {MoreButton} from '../call_controls/MoreButton';
import {MuteButton} from '../call_controls/MuteButton';
import {ParticipantsButton} from '../call_controls/ParticipantsButton';
import {ScreenShareButton} from '../call_controls/ScreenShareButton';
import {SettingsMenu} from '../call_controls/SettingsMenu';
import {VideoButton} from '../call_controls/VideoButton';
import {ChannelIcon} from '../common/ChannelIcon';
import {useCallDuration, useCallsClient} from '../common/hooks';
import {CloseIcon, CollapseIcon, ExpandIcon, SmileIcon} from '../common/icons';
import {RecordingBadge} from '../common/RecordingBadge';
import {ScreenPlayer} from '../common/ScreenPlayer';
import {ParticipantsList} from '../participants_list/ParticipantsList';
import {RecordingBanner} from '../recording/RecordingBanner';
import {isPopOutWindow} from '../../popout';
import {action} from '../../state/action_types';
import {
  callsState,
  clientState,
  displayName,
  getChannel,
  profiles,
  screenSharingSessionID,
  sessionsInChannel,
  type GlobalState,
} from '../../state/selectors';
import {Tooltip} from '../common/Tooltip';

export function ExpandedView({channelID, popout = false}: {channelID: string; popout?: boolean}) {
  const {formatMessage} = useIntl();
  const dispatch = useDispatch();
  const client = useCallsClient(['remoteScreenStream', 'localScreenStream']);
  const channel = useSelector((s: GlobalState) => getChannel(s, channelID));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
  const users = useSelector(profiles);
  const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
  const duration = useCallDuration(channelID);
  const controls = useCallControls();
  const [showRHS, setShowRHS] = useState(false);
  const [menu, setMenu] = useState<'reactions' | 'leave' | 'settings' | null>(null);
  const screenRef = useRef<HTMLDivElement>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const toggleRecording = useToggleRecording(channelID);
  const extra = useMemo(
    () => ({
      toggleParticipants: () => setShowRHS((v) => !v),
      openLeave: () => setMenu('leave'),
      toggleReactions: () => setMenu((m) => (m === 'reactions' ? null : 'reactions')),
      toggleRecording: popout ? toggleRecording || undefined : undefined,
      popout,
    }),
    [popout, toggleRecording],
  );
  useCallShortcuts(controls, extra);
  usePushToTalk(controls, popout);
  useEffect(() => {
    const prev = document.title;
    const name = channel?.display_name || channel?.name || '';
    document.title = formatMessage({id: 'calls.expanded.title', defaultMessage: 'Call - {name}'}, {name});
    return () => {
      document.title = prev;
    };
  }, [channel, formatMessage]);

  const count = Object.keys(sessions).length;
  const presenterName = displayName(users[sessions[presenter]?.user_id || ''], 'Someone');
  const mine = presenter && presenter === mySessionID;
  const screenStream = mine ? (client?.localScreenStream ?? null) : (client?.remoteScreenStream ?? null);
  const closeLabel = popout
    ? formatMessage({id: 'calls.popout.close', defaultMessage: 'Close window'})
    : formatMessage({id: 'calls.expanded.close', defaultMessage: 'Close expanded view'});

  return (
    <div
      id="calls-expanded-view"
      className={popout ? 'calls-expanded-view--popout' : ''}
      role={popout ? 'main' : 'dialog'}
      aria-label={formatMessage({id: 'calls.expanded.label', defaultMessage: 'Expanded call view'})}
    >
      <div className="calls-expanded-top">
        <RecordingBadge channelID={channelID} clickToStop={true} />
        <span data-testid="calls-expanded-duration">{duration}</span>
        <span style={{display: 'inline-flex', gap: 4, alignItems: 'center'}}>
          <ChannelIcon channel={channel} />
          {channel?.display_name || channel?.name}
        </span>
        <span className="calls-spacer" />
        <Tooltip text={closeLabel}>
          <button
            className="calls-btn"
            id={popout ? 'calls-popout-close-button' : 'calls-expanded-view-close'}
            aria-label={closeLabel}
            onClick={() => (popout ? window.close() : dispatch(action('HIDE_EXPANDED_VIEW', {})))}
          >
            {popout ? <CloseIcon /> : <CollapseIcon />}
          </button>
        </Tooltip>
      </div>
      <div className="calls-expanded-body">
        <div className="calls-expanded-center">
          {presenter ? (
            <div className="calls-expanded-screen" ref={screenRef}>
              {/* The reactions float over the screen itself, never over its caption below. */}
              <div className="calls-expanded-screen-stage">
                <ScreenPlayer id="calls-expanded-view-screen-player" stream={screenStream} />
                <ReactionStream channelID={channelID} />
              </div>
              <div className="calls-expanded-screen-footer">
                <span style={{flex: 1}}>
                  {mine
                    ? formatMessage({id: 'calls.screen.sharing', defaultMessage: "You're sharing your screen"})
                    : formatMessage(
                        {id: 'calls.screen.viewing', defaultMessage: "You're viewing {name}'s screen"},
                        {name: presenterName},
                      )}
                </span>
                <Tooltip text={formatMessage({id: 'calls.screen.fullscreen', defaultMessage: 'Full screen'})}>
                  <button
                    className="calls-btn"
                    id="calls-expanded-view-fullscreen"
                    aria-label={formatMessage({id: 'calls.screen.fullscreen', defaultMessage: 'Full screen'})}
                    onClick={() => toggleFullscreen(screenRef.current)}
                  >
                    <ExpandIcon />
                  </button>
                </Tooltip>
              </div>
            </div>
          ) : (
            <>
              <ParticipantsGrid channelID={channelID} />
              <ReactionStream channelID={channelID} />
            </>
          )}
          <div className="calls-expanded-overlay">
            <Notices channelID={channelID} />
            <Banners testID="calls-expanded-banner-alert" />
            <RecordingBanner channelID={channelID} surface="popout" onLeave={controls.leave} />
          </div>
        </div>
        {showRHS && (
          <div
            id="rhs-participant-list"
            role="complementary"
            aria-label={formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
          >
            <header>
              {formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
              <span className="calls-spacer" />
              <button
                className="calls-btn"
                aria-label={formatMessage({
                  id: 'calls.expanded.close_participants',
                  defaultMessage: 'Close participants list',
                })}
                onClick={() => setShowRHS(false)}
              >
                <CloseIcon size={14} />
              </button>
            </header>
            <ParticipantsList
              channelID={channelID}
              id="calls-expanded-participants-list"
              className=""
              showTitle={false}
            />
          </div>
        )}
      </div>
      <div
        id="calls-expanded-view-controls"
        role="toolbar"
        aria-label={formatMessage({id: 'calls.expanded.controls', defaultMessage: 'Call controls'})}
      >
        <ParticipantsButton
          surface="calls-popout"
          open={showRHS}
          count={count}
          onToggle={() => setShowRHS((v) => !v)}
        />
        <MuteButton surface="calls-popout" controls={controls} pushToTalk={popout} />
        <VideoButton surface="calls-popout" controls={controls} disabled={!client?.isConnected} />
        <ScreenShareButton surface="calls-popout" controls={controls} />
        <span style={{position: 'relative'}}>
          <Tooltip
            text={formatMessage({id: 'calls.reactions.add', defaultMessage: 'Add reaction'})}
            shortcut="reactions"
          >
            <button
              id="calls-popout-emoji-button"
              className={`calls-btn${menu === 'reactions' ? ' calls-btn--active' : ''}`}
              aria-controls="calls-popout-emoji-bar"
              aria-expanded={menu === 'reactions'}
              aria-label={formatMessage({id: 'calls.reactions.add', defaultMessage: 'Add reaction'})}
              onClick={() => setMenu(menu === 'reactions' ? null : 'reactions')}
            >
              <SmileIcon size={20} />
            </button>
          </Tooltip>
          {menu === 'reactions' && <EmojiBar onClose={closeMenu} controls={controls} />}
        </span>
        <RecordButton channelID={channelID} />
        <ChatButton channelID={channelID} popout={popout} />
        <span style={{position: 'relative'}}>
          <MoreButton
            surface="calls-popout"
            open={menu === 'settings'}
            onToggle={() => setMenu(menu === 'settings' ? null : 'settings')}
          />
          {menu === 'settings' && <SettingsMenu onClose={closeMenu} controls={controls} surface="calls-popout" />}
        </span>
        <span style={{position: 'relative'}}>
          <LeaveButton
            surface="calls-popout"
            controls={controls}
            onToggleMenu={() => setMenu(menu === 'leave' ? null : 'leave')}
          />
          {menu === 'leave' && <LeaveMenu id="calls-popout-leave-menu" onClose={closeMenu} controls={controls} />}
        </span>
      </div>
    </div>
  );
}

/** Full screen for the screen player (and its caption); a second press leaves full screen. */
function toggleFullscreen(el: HTMLElement | null): void {
  if (document.fullscreenElement) {
    document.exitFullscreen?.().catch(() => undefined);
    return;
  }
  el?.requestFullscreen?.().catch(() => undefined);
}

/** The global component: the in-page expanded view, used only when the browser blocked the pop-out window. */
export function ExpandedViewRoot() {
  const client = useSelector(clientState);
  const expanded = useSelector((s: GlobalState) => callsState(s).expandedView);
  if (!client || !expanded || isPopOutWindow()) {
    return null;
  }
  return <ExpandedView channelID={client.channelID} />;
}
