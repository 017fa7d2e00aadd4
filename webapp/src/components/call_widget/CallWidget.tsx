// The floating call widget (reference webapp.md §2.2): who is talking, the call's duration and channel, notices and
// banners, the screen-share preview, the participants list, and the controls (mute, hand, share, menu, leave).
// Rendered by a global component while a call is live and the expanded view is closed.
import React, {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {FormattedMessage, useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Banners} from './Banners';
import {CondensedIncomingCalls} from '../incoming_calls/IncomingCalls';
import {useCallControls, useCallShortcuts} from '../call_controls/controls';
import {LeaveMenu} from '../call_controls/LeaveMenu';
import {SettingsMenu} from '../call_controls/SettingsMenu';
import {Notices} from './Notices';
import {ParticipantsList} from './ParticipantsList';
import {ScreenPlayer} from './ScreenPlayer';
import {Avatar} from '../common/Avatar';
import {ChannelIcon} from '../common/ChannelIcon';
import {useCallDuration, useCallsClient, navigateTo, useCallsStore} from '../common/hooks';
import {DotsIcon, ExpandIcon, HandIcon, LeaveIcon, MicIcon, MicOffIcon, PeopleIcon, ScreenIcon} from '../common/icons';
import {RecordingBadge} from '../common/RecordingBadge';
import {expandCall} from '../../call_flow';
import {isPopOutWindow} from '../../popout';
import {shortcutLabel} from '../../shortcuts';
import {
    callsState,
    channelURL,
    clientState,
    displayName,
    getChannel,
    mySession,
    profiles,
    screenSharingSessionID,
    sessionsInChannel,
    type GlobalState,
} from '../../state/selectors';

/** The tooltip of the mute button when there is no usable microphone. */
export function micUnavailableText(kind: 'missing' | 'permission' | null,
    formatMessage: ReturnType<typeof useIntl>['formatMessage']): string {
    if (kind === 'permission') {
        return formatMessage({id: 'calls.widget.mic_permission', defaultMessage: 'Allow microphone access to Mattermost'});
    }
    if (kind === 'missing') {
        return formatMessage({id: 'calls.widget.no_mic', defaultMessage: 'No audio input devices'});
    }
    return '';
}

function useClampedDrag() {
    const [pos, setPos] = useState<{left: number; bottom: number}>({left: 12, bottom: 12});
    const drag = useRef<{x: number; y: number; left: number; bottom: number} | null>(null);
    const ref = useRef<HTMLDivElement>(null);
    const onMouseDown = useCallback((e: React.MouseEvent) => {
        if ((e.target as HTMLElement).closest('button')) {
            return;
        }
        drag.current = {x: e.clientX, y: e.clientY, left: pos.left, bottom: pos.bottom};
        const move = (ev: MouseEvent) => {
            if (!drag.current || !ref.current) {
                return;
            }
            const w = ref.current.offsetWidth;
            const h = ref.current.offsetHeight;
            const left = Math.min(Math.max(0, drag.current.left + (ev.clientX - drag.current.x)), window.innerWidth - w);
            const bottom = Math.min(Math.max(0, drag.current.bottom - (ev.clientY - drag.current.y)), window.innerHeight - h);
            setPos({left, bottom});
        };
        const up = () => {
            drag.current = null;
            document.removeEventListener('mousemove', move);
            document.removeEventListener('mouseup', up);
        };
        document.addEventListener('mousemove', move);
        document.addEventListener('mouseup', up);
    }, [pos]);
    return {pos, ref, onMouseDown};
}

function ScreenPanel({channelID}: {channelID: string}) {
    const {formatMessage} = useIntl();
    const store = useCallsStore();
    const client = useCallsClient(['remoteScreenStream', 'localScreenStream']);
    const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
    const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
    const users = useSelector(profiles);
    const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
    if (!presenter) {
        return null;
    }
    const mine = presenter === mySessionID;
    const presenterName = displayName(users[sessions[presenter]?.user_id || ''], 'Someone');
    if (mine) {
        return (
            <div
                className='calls-screen-panel'
                data-testid='calls-widget-screen-panel'
            >
                <div className='calls-screen-panel-footer'>
                    <span style={{flex: 1}}>{formatMessage({id: 'calls.screen.sharing', defaultMessage: "You're sharing your screen"})}</span>
                    <button
                        className='calls-btn calls-btn--danger'
                        data-testid='calls-widget-stop-screenshare'
                        aria-label={formatMessage({id: 'calls.screen.stop_sharing', defaultMessage: 'Stop sharing'})}
                        onClick={() => client?.stopScreenShare().catch(() => undefined)}
                    >{formatMessage({id: 'calls.screen.stop_sharing', defaultMessage: 'Stop sharing'})}</button>
                </div>
            </div>
        );
    }
    return (
        <div
            className='calls-screen-panel'
            data-testid='calls-widget-screen-panel'
        >
            <ScreenPlayer
                id='screen-player'
                stream={client?.remoteScreenStream ?? null}
            />
            <div className='calls-screen-panel-footer'>
                <span style={{flex: 1}}>
                    {formatMessage({id: 'calls.screen.viewing', defaultMessage: "You're viewing {name}'s screen"}, {name: presenterName})}
                </span>
                <button
                    className='calls-btn'
                    aria-label={formatMessage({id: 'calls.screen.popout', defaultMessage: 'Pop out'})}
                    onClick={() => expandCall(store, channelID)}
                >{formatMessage({id: 'calls.screen.popout', defaultMessage: 'Pop out'})}</button>
            </div>
        </div>
    );
}

export const MUTE_HINT_MS = 5000;

/** Once per call, right after connecting: whether the microphone is on, and where to change that. */
/** The microphone button's icon inside a sentence (an emoji would depend on the system's fonts). */
function MicInline() {
    return (
        <span
            className='calls-inline-icon'
            role='img'
            aria-label='microphone'
            data-testid='calls-inline-mic'
        ><MicIcon size={14}/></span>
    );
}

function MuteHint() {
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
        <div
            className='calls-notice'
            data-testid='calls-widget-mute-hint'
            role='status'
        >
            {muted ? <FormattedMessage
                id='calls.widget.muted_hint'
                defaultMessage="You're muted. Select {icon} to unmute."
                values={{icon: <MicInline/>}}
            /> : <FormattedMessage
                id='calls.widget.unmuted_hint'
                defaultMessage="You're unmuted. Select {icon} to mute."
                values={{icon: <MicInline/>}}
            />}
        </div>
    );
}

export function CallWidget({channelID}: {channelID: string}) {
    const {formatMessage} = useIntl();
    const store = useCallsStore();
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
    const extra = useMemo(() => ({
        toggleParticipants: () => setShowParticipants((v) => !v),
        openLeave: () => setMenu('leave'),
    }), []);
    useCallShortcuts(controls, extra);

    const count = Object.keys(sessions).length;
    const speaker = Object.values(sessions).find((s) => s.voice);
    const speakerName = speaker ? displayName(users[speaker.user_id], speaker.user_id) : '';
    const connecting = !client?.connected;
    let overlayText: string;
    if (client?.mediaUnavailable) {
        overlayText = formatMessage({id: 'calls.widget.media_unavailable', defaultMessage: 'Reconnecting… Calls are temporarily unavailable.'});
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
            id='calls-widget'
            ref={ref}
            style={{left: pos.left, bottom: pos.bottom}}
            role='region'
            aria-label={formatMessage({id: 'calls.widget.label', defaultMessage: 'Call widget'})}
        >
            {connecting && (
                <div
                    className='calls-loading-overlay'
                    data-testid='calls-widget-loading-overlay'
                    data-state={client?.mediaUnavailable ? 'media_unavailable' : client?.reconnecting ? 'reconnecting' : 'connecting'}
                >
                    {overlayText}
                </div>
            )}
            <div className='calls-widget-stack'>
                <CondensedIncomingCalls/>
                <Notices channelID={channelID}/>
                <MuteHint/>
                <Banners/>
                <ScreenPanel channelID={channelID}/>
            </div>
            {showParticipants && <ParticipantsList channelID={channelID}/>}
            <div
                className='calls-widget-header'
                onMouseDown={onMouseDown}
            >
                {speaker ? <Avatar
                    userID={speaker.user_id}
                    size={32}
                    speaking={true}
                /> : <span
                    className='calls-avatar'
                    style={{width: 32, height: 32, display: 'inline-flex', alignItems: 'center', justifyContent: 'center'}}
                ><MicOffIcon size={16}/></span>}
                <div className='calls-widget-header-text'>
                    <div
                        className='calls-widget-speaking'
                        data-testid='calls-widget-speaking'
                        aria-live='polite'
                    >
                        {speaker ? formatMessage({id: 'calls.widget.talking', defaultMessage: '{name} is talking…'}, {name: speakerName}) :
                            formatMessage({id: 'calls.widget.no_one_talking', defaultMessage: 'No one is talking…'})}
                    </div>
                    <div className='calls-widget-meta'>
                        <RecordingBadge channelID={channelID}/>
                        <span data-testid='calls-widget-duration'>{duration}</span>
                        <span>{'•'}</span>
                        <button
                            className='calls-widget-channel-link'
                            data-testid='calls-widget-channel-link'
                            aria-label={formatMessage({id: 'calls.widget.channel_link', defaultMessage: 'Go to {name}'}, {name: channelName})}
                            onClick={() => url && navigateTo(url)}
                        >
                            <ChannelIcon channel={channel}/>
                            <span>{channelName}</span>
                        </button>
                    </div>
                </div>
                <button
                    className='calls-btn'
                    id='calls-widget-expand-button'
                    aria-label={formatMessage({id: 'calls.widget.expand', defaultMessage: 'Open in new window'})}
                    title={formatMessage({id: 'calls.widget.expand', defaultMessage: 'Open in new window'})}
                    onClick={() => expandCall(store, channelID)}
                ><ExpandIcon/></button>
            </div>
            <div
                className='calls-widget-bottom-bar'
                style={{position: 'relative'}}
            >
                <button
                    id='calls-widget-participants-button'
                    className={`calls-btn${showParticipants ? ' calls-btn--active' : ''}`}
                    aria-controls='calls-widget-participants-list'
                    aria-expanded={showParticipants}
                    aria-label={showParticipants ? formatMessage({id: 'calls.widget.hide_participants', defaultMessage: 'Hide participants'}) :
                        formatMessage({id: 'calls.widget.show_participants', defaultMessage: 'Show participants'})}
                    title={`${formatMessage({id: 'calls.widget.participants', defaultMessage: 'Participants'})} (${shortcutLabel('participants')})`}
                    onClick={() => setShowParticipants((v) => !v)}
                >
                    <PeopleIcon/>
                    <span data-testid='calls-widget-participants-count'>{count}</span>
                </button>
                <button
                    id='voice-mute-unmute'
                    className={`calls-btn${controls.muted ? '' : ' calls-btn--on'}${controls.micUnavailable ? ' calls-btn--unavailable' : ''}`}
                    disabled={!client?.connected}
                    aria-label={controls.muted ? formatMessage({id: 'calls.widget.unmute', defaultMessage: 'Unmute'}) :
                        formatMessage({id: 'calls.widget.mute', defaultMessage: 'Mute'})}
                    title={micUnavailableText(controls.micUnavailable, formatMessage) || `${controls.muted ?
                        formatMessage({id: 'calls.widget.unmute', defaultMessage: 'Unmute'}) :
                        formatMessage({id: 'calls.widget.mute', defaultMessage: 'Mute'})} (${shortcutLabel('mute')})`}
                    onClick={controls.toggleMute}
                >{controls.muted ? <MicOffIcon/> : <MicIcon/>}</button>
                {controls.canRaiseHand && (
                    <button
                        id='raise-hand'
                        className={`calls-btn${controls.handRaised ? ' calls-btn--active' : ''}`}
                        disabled={!client?.connected}
                        aria-label={controls.handRaised ? formatMessage({id: 'calls.widget.lower_hand', defaultMessage: 'Lower hand'}) :
                            formatMessage({id: 'calls.widget.raise_hand', defaultMessage: 'Raise hand'})}
                        title={`${controls.handRaised ? formatMessage({id: 'calls.widget.lower_hand', defaultMessage: 'Lower hand'}) :
                            formatMessage({id: 'calls.widget.raise_hand', defaultMessage: 'Raise hand'})} (${shortcutLabel('hand')})`}
                        onClick={controls.toggleHand}
                    ><HandIcon/></button>
                )}
                <button
                    id='calls-widget-screenshare-button'
                    className={`calls-btn${controls.sharing ? ' calls-btn--danger' : ''}`}
                    disabled={!controls.sharing && !controls.canShare}
                    aria-label={controls.sharing ? formatMessage({id: 'calls.screen.stop', defaultMessage: 'Stop presenting'}) :
                        formatMessage({id: 'calls.screen.start', defaultMessage: 'Start presenting'})}
                    title={`${controls.sharing ? formatMessage({id: 'calls.screen.stop', defaultMessage: 'Stop presenting'}) :
                        formatMessage({id: 'calls.screen.start', defaultMessage: 'Start presenting'})} (${shortcutLabel('screen')})`}
                    onClick={controls.toggleScreen}
                ><ScreenIcon/></button>
                <span className='calls-spacer'/>
                <button
                    id='calls-widget-toggle-menu-button'
                    className={`calls-btn${menu === 'settings' ? ' calls-btn--active' : ''}`}
                    aria-controls='calls-widget-settings-menu'
                    aria-expanded={menu === 'settings'}
                    aria-label={formatMessage({id: 'calls.menu.more', defaultMessage: 'More options'})}
                    onClick={() => setMenu(menu === 'settings' ? null : 'settings')}
                ><DotsIcon/></button>
                <button
                    id='calls-widget-leave-button'
                    className='calls-btn calls-btn--danger'
                    aria-label={formatMessage({id: 'calls.leave.leave', defaultMessage: 'Leave call'})}
                    title={`${formatMessage({id: 'calls.leave.leave', defaultMessage: 'Leave call'})} (${shortcutLabel('leave')})`}
                    onClick={() => (controls.leaveNeedsMenu ? setMenu(menu === 'leave' ? null : 'leave') : controls.leave())}
                ><LeaveIcon/></button>
                {menu === 'settings' && <SettingsMenu
                    onClose={closeMenu}
                    controls={controls}
                    prefix='calls-widget'
                />}
                {menu === 'leave' && <LeaveMenu
                    id='calls-widget-leave-menu'
                    onClose={closeMenu}
                    controls={controls}
                />}
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
    return <CallWidget channelID={client.channelID}/>;
}
