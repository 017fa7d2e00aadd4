// The floating call widget (reference webapp.md §2.2): who is talking, the call's duration and channel, notices and
// banners, the screen-share preview, the participants list, and the bar of call controls (../call_controls/).
// Rendered by a global component while a call is live and the expanded view is closed.
import React, {useCallback, useMemo, useState} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useClampedDrag} from './drag';
import {MuteHint} from './MuteHint';
import {ScreenPanel} from './ScreenPanel';
import {VideoBar} from './VideoBar';
import {Banners} from '../call_alerts/Banners';
import {Notices} from '../call_alerts/Notices';
import {useCallControls, useCallShortcuts} from '../call_controls/controls';
import {ExpandButton} from '../call_controls/ExpandButton';
import {HandButton} from '../call_controls/HandButton';
import {LeaveButton} from '../call_controls/LeaveButton';
import {LeaveMenu} from '../call_controls/LeaveMenu';
import {MoreButton} from '../call_controls/MoreButton';
import {MuteButton} from '../call_controls/MuteButton';
import {ParticipantsButton} from '../call_controls/ParticipantsButton';
import {ScreenShareButton} from '../call_controls/ScreenShareButton';
import {SettingsMenu} from '../call_controls/SettingsMenu';
import {VideoButton} from '../call_controls/VideoButton';
import {Avatar} from '../common/Avatar';
import {ChannelIcon} from '../common/ChannelIcon';
import {navigateTo, useCallDuration} from '../common/hooks';
import {MicOffIcon} from '../common/icons';
import {RecordingBadge} from '../common/RecordingBadge';
import {CondensedIncomingCalls} from '../incoming_calls/IncomingCalls';
import {ParticipantsList} from '../participants_list/ParticipantsList';
import {RecordingBanner} from '../recording/RecordingBanner';
import {isPopOutWindow} from '../../popout';
import {
  callsState,
  channelURL,
  clientState,
  displayName,
  getChannel,
  profiles,
  sessionsInChannel,
  type GlobalState,
} from '../../state/selectors';

export function CallWidget({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const client = useSelector(clientState);
  const channel = useSelector((s: GlobalState) => getChannel(s, channelID));
  const url = useSelector((s: GlobalState) => (channel ? channelURL(s, channel) : ''));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const users = useSelector(profiles);
  const duration = useCallDuration(channelID);
  const controls = useCallControls();
  const [showParticipants, setShowParticipants] = useState(false);
  const [menu, setMenu] = useState<'settings' | 'leave' | null>(null);
  const {pos, ref, onMouseDown} = useClampedDrag();
  const closeMenu = useCallback(() => setMenu(null), []);
  const extra = useMemo(
    () => ({
      toggleParticipants: () => setShowParticipants((v) => !v),
      openLeave: () => setMenu('leave'),
    }),
    [],
  );
  useCallShortcuts(controls, extra);

  const count = Object.keys(sessions).length;
  const speaker = Object.values(sessions).find((s) => s.voice);
  const speakerName = speaker ? displayName(users[speaker.user_id], speaker.user_id) : '';
  const connecting = !client?.connected;
  let overlayText: string;
  if (client?.mediaUnavailable) {
    overlayText = formatMessage({
      id: 'calls.widget.media_unavailable',
      defaultMessage: 'Reconnecting… Calls are temporarily unavailable.',
    });
  } else if (client?.reconnecting) {
    overlayText = formatMessage({id: 'calls.widget.reconnecting', defaultMessage: 'Reconnecting…'});
  } else if (client?.starting) {
    overlayText = formatMessage({id: 'calls.widget.starting', defaultMessage: 'Starting call…'});
  } else {
    overlayText = formatMessage({id: 'calls.widget.joining', defaultMessage: 'Joining call…'});
  }
  const channelName = channel?.display_name || channel?.name || '';

  return (
    <div
      id="calls-widget"
      ref={ref}
      style={{left: pos.left, bottom: pos.bottom}}
      role="region"
      aria-label={formatMessage({id: 'calls.widget.label', defaultMessage: 'Call widget'})}
    >
      {connecting && (
        <div
          className="calls-loading-overlay"
          data-testid="calls-widget-loading-overlay"
          data-state={
            client?.mediaUnavailable ? 'media_unavailable' : client?.reconnecting ? 'reconnecting' : 'connecting'
          }
        >
          {overlayText}
        </div>
      )}
      <div className="calls-widget-stack">
        <CondensedIncomingCalls />
        <Notices channelID={channelID} />
        <MuteHint />
        <Banners />
        <RecordingBanner channelID={channelID} surface="widget" onLeave={controls.leave} />
        <ScreenPanel channelID={channelID} />
      </div>
      {showParticipants && <ParticipantsList channelID={channelID} />}
      <div className="calls-widget-header" onMouseDown={onMouseDown}>
        {speaker ? (
          <Avatar userID={speaker.user_id} size={32} speaking={true} />
        ) : (
          <span
            className="calls-avatar"
            style={{width: 32, height: 32, display: 'inline-flex', alignItems: 'center', justifyContent: 'center'}}
          >
            <MicOffIcon size={16} />
          </span>
        )}
        <div className="calls-widget-header-text">
          <div className="calls-widget-speaking" data-testid="calls-widget-speaking" aria-live="polite">
            {speaker
              ? formatMessage({id: 'calls.widget.talking', defaultMessage: '{name} is talking…'}, {name: speakerName})
              : formatMessage({id: 'calls.widget.no_one_talking', defaultMessage: 'No one is talking…'})}
          </div>
          <div className="calls-widget-meta">
            <RecordingBadge channelID={channelID} />
            <span data-testid="calls-widget-duration">{duration}</span>
            <span>{'•'}</span>
            <button
              className="calls-widget-channel-link"
              data-testid="calls-widget-channel-link"
              aria-label={formatMessage(
                {id: 'calls.widget.channel_link', defaultMessage: 'Go to {name}'},
                {name: channelName},
              )}
              onClick={() => url && navigateTo(url)}
            >
              <ChannelIcon channel={channel} />
              <span>{channelName}</span>
            </button>
          </div>
        </div>
        <ExpandButton channelID={channelID} />
      </div>
      {controls.videoEnabled && <VideoBar channelID={channelID} />}
      <div className="calls-widget-bottom-bar" style={{position: 'relative'}}>
        <ParticipantsButton
          surface="calls-widget"
          open={showParticipants}
          count={count}
          onToggle={() => setShowParticipants((v) => !v)}
        />
        <MuteButton surface="calls-widget" controls={controls} disabled={!client?.connected} />
        <VideoButton surface="calls-widget" controls={controls} disabled={!client?.connected} />
        <HandButton surface="calls-widget" controls={controls} disabled={!client?.connected} />
        <ScreenShareButton surface="calls-widget" controls={controls} />
        <span className="calls-spacer" />
        <MoreButton
          surface="calls-widget"
          open={menu === 'settings'}
          onToggle={() => setMenu(menu === 'settings' ? null : 'settings')}
        />
        <LeaveButton
          surface="calls-widget"
          controls={controls}
          onToggleMenu={() => setMenu(menu === 'leave' ? null : 'leave')}
        />
        {menu === 'settings' && <SettingsMenu onClose={closeMenu} controls={controls} surface="calls-widget" />}
        {menu === 'leave' && <LeaveMenu id="calls-widget-leave-menu" onClose={closeMenu} controls={controls} />}
      </div>
    </div>
  );
}

/** The global component: shows the widget while a call is live and the expanded view is closed. */
export function CallWidgetRoot() {
  const client = useSelector(clientState);
  const expanded = useSelector((s: GlobalState) => callsState(s).expandedView);
  // The pop-out shows the call itself; the widget belongs to the window that holds the connection.
  if (!client || expanded || isPopOutWindow()) {
    return null;
  }
  return <CallWidget channelID={client.channelID} />;
}
