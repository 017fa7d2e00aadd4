// The expanded view (reference webapp.md §2.3), shown in-window over the page: participant tiles or the large screen
// player, the reaction stream, the controls row (participants, mute, share, reactions, leave) and a participants panel.
import React, {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {Avatar} from '../common/Avatar';
import {ChannelIcon} from '../common/ChannelIcon';
import {useCallDuration, useCallsClient, useCallsStore, useDismiss} from '../common/hooks';
import {ChatIcon, CloseIcon, CollapseIcon, ExpandIcon, HandIcon, MicIcon, MicOffIcon, RecordIcon, SmileIcon} from '../common/icons';
import {RecordingBadge} from '../common/RecordingBadge';
import {Banners} from '../call_widget/Banners';
import {HandButton} from '../call_controls/HandButton';
import {LeaveButton} from '../call_controls/LeaveButton';
import {LeaveMenu} from '../call_controls/LeaveMenu';
import {MoreButton} from '../call_controls/MoreButton';
import {MuteButton} from '../call_controls/MuteButton';
import {ParticipantsButton} from '../call_controls/ParticipantsButton';
import {ScreenShareButton} from '../call_controls/ScreenShareButton';
import {SettingsMenu} from '../call_controls/SettingsMenu';
import {useCallControls, useCallShortcuts} from '../call_controls/controls';
import {Notices} from '../call_widget/Notices';
import {ParticipantsList, useSortedParticipants} from '../call_widget/ParticipantsList';
import {ScreenPlayer} from '../call_widget/ScreenPlayer';
import {getCallsClient} from '../../client/current';
import {Rest} from '../../client/rest';
import {closeRhs, rhsSelectedPostID, selectRhsPost} from '../../host';
import {isPopOutWindow} from '../../popout';
import {showGenericError} from '../../state/actions';
import {shortcutLabel} from '../../shortcuts';
import {action} from '../../state/reducer';
import {
    callInChannel,
    callsConfig,
    callsState,
    canHostControl,
    clientState,
    currentUserId,
    displayName,
    getChannel,
    hostIDInChannel,
    profiles,
    screenSharingSessionID,
    sessionsInChannel,
    type GlobalState,
} from '../../state/selectors';
import type {EmojiData} from '../../types';
import {emojiFromUnified} from '../../utils/format';

export const QUICK_EMOJIS: EmojiData[] = [
    {name: '+1', unified: '1F44D', literal: '👍'},
    {name: 'clap', unified: '1F44F', literal: '👏'},
    {name: 'joy', unified: '1F602', literal: '😂'},
    {name: 'heart', unified: '2764-FE0F', literal: '❤️'},
    {name: 'tada', unified: '1F389', literal: '🎉'},
];

function EmojiBar({onClose, controls}: {onClose: () => void; controls: ReturnType<typeof useCallControls>}) {
    const {formatMessage} = useIntl();
    const ref = useRef<HTMLDivElement>(null);
    useDismiss(ref, onClose, '#calls-popout-emoji-button');
    return (
        <div
            id='calls-popout-emoji-bar'
            ref={ref}
            role='menu'
            aria-label={formatMessage({id: 'calls.reactions.bar', defaultMessage: 'Reactions'})}
        >
            <HandButton
                surface='calls-popout'
                controls={controls}
                onDone={onClose}
            />
            {QUICK_EMOJIS.map((e) => (
                <button
                    key={e.name}
                    role='menuitem'
                    aria-label={e.name}
                    onClick={() => {
                        getCallsClient()?.react(e);
                        onClose();
                    }}
                >{e.literal}</button>
            ))}
        </div>
    );
}

function ReactionStream({channelID}: {channelID: string}) {
    const {formatMessage} = useIntl();
    const reactions = useSelector((s: GlobalState) => callsState(s).reactions[channelID]) || [];
    const users = useSelector(profiles);
    const me = useSelector(currentUserId);
    return (
        <div
            className='calls-reaction-stream'
            data-testid='calls-reaction-stream'
        >
            {reactions.slice(-10).map((r) => (
                <div
                    key={`${r.session_id}-${r.timestamp}`}
                    className='calls-reaction-chip'
                >
                    {r.emoji.literal || emojiFromUnified(r.emoji.unified)}{' '}
                    {r.user_id === me ? formatMessage({id: 'calls.reactions.you', defaultMessage: 'You'}) : displayName(users[r.user_id], r.user_id)}
                </div>
            ))}
        </div>
    );
}

function ParticipantsGrid({channelID}: {channelID: string}) {
    const {formatMessage} = useIntl();
    const list = useSortedParticipants(channelID);
    const users = useSelector(profiles);
    const hostID = useSelector((s: GlobalState) => hostIDInChannel(s, channelID));
    const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
    const size = list.length <= 2 ? 156 : (list.length <= 6 ? 120 : (list.length <= 12 ? 96 : 72));
    return (
        <ul
            className='calls-expanded-grid'
            id='calls-expanded-view-participants-grid'
            style={{listStyle: 'none', margin: 0, padding: 0}}
        >
            {list.map((s) => (
                <li
                    key={s.session_id}
                    className='calls-tile'
                    data-testid='calls-tile'
                    data-session-id={s.session_id}
                    data-user-id={s.user_id}
                >
                    <Avatar
                        userID={s.user_id}
                        size={size}
                        speaking={s.voice}
                    />
                    <div className='calls-tile-badges'>
                        {s.unmuted ? <span
                            className='calls-icon-unmuted'
                            role='img'
                            aria-label={formatMessage({id: 'calls.participants.unmuted', defaultMessage: 'Unmuted'})}
                        ><MicIcon/></span> : <span
                            className='calls-icon-muted'
                            role='img'
                            aria-label={formatMessage({id: 'calls.participants.muted', defaultMessage: 'Muted'})}
                        ><MicOffIcon/></span>}
                        {s.raised_hand > 0 && <span
                            className='calls-icon-hand'
                            role='img'
                            aria-label={formatMessage({id: 'calls.participants.hand', defaultMessage: 'Hand raised'})}
                        ><HandIcon/></span>}
                        {s.reaction && <span>{s.reaction.emoji.literal || emojiFromUnified(s.reaction.emoji.unified)}</span>}
                    </div>
                    <div>
                        {displayName(users[s.user_id], s.user_id)}
                        {s.session_id === mySessionID ? ` ${formatMessage({id: 'calls.participants.you', defaultMessage: '(you)'})}` : ''}
                        {s.user_id === hostID && <span className='calls-host-badge'>{' '}{formatMessage({id: 'calls.participants.host', defaultMessage: 'HOST'})}</span>}
                    </div>
                </li>
            ))}
        </ul>
    );
}

function ChatButton({channelID, popout}: {channelID: string; popout: boolean}) {
    const {formatMessage} = useIntl();
    const store = useCallsStore();
    const threadID = useSelector((s: GlobalState) => callInChannel(s, channelID)?.threadID || '');
    const open = useSelector((s: GlobalState) => Boolean(threadID) && rhsSelectedPostID(s) === threadID);
    const unread = useUnreadReplies(threadID, open);
    if (!threadID || !window.ProductApi) {
        return null;
    }
    const label = open ? formatMessage({id: 'calls.popout.hide_chat', defaultMessage: 'Hide chat'}) :
        formatMessage({id: 'calls.popout.show_chat', defaultMessage: 'Show chat'});
    return (
        <button
            id='calls-popout-chat-button'
            className={`calls-btn${open ? ' calls-btn--active' : ''}`}
            aria-label={unread > 0 && !open ? formatMessage({id: 'calls.popout.chat_unread', defaultMessage: '{label} ({count} new)'},
                {label, count: unread}) : label}
            aria-pressed={open}
            title={label}
            onClick={() => {
                if (open) {
                    closeRhs(store);
                    return;
                }
                if (!popout) {
                    // The in-page view covers the page: get out of the way of the right-hand side.
                    store.dispatch(action('HIDE_EXPANDED_VIEW', {}));
                }
                selectRhsPost(store, threadID);
            }}
        >
            <ChatIcon size={20}/>
            {unread > 0 && !open && <span
                className='calls-unread-dot'
                data-testid='calls-popout-chat-unread'
            >{unread}</span>}
        </button>
    );
}

/** Replies in the thread that arrived since the chat was last open (the host keeps posts in entities.posts). */
function useUnreadReplies(threadID: string, open: boolean): number {
    const count = useSelector((s: GlobalState) => {
        const posts = (s.entities as unknown as {posts?: {posts: Record<string, {root_id: string}>}}).posts?.posts;
        return posts ? Object.values(posts).filter((p) => p.root_id === threadID).length : 0;
    });
    const [seen, setSeen] = useState<number | null>(null);
    useEffect(() => {
        if (open || seen === null) {
            setSeen(count);
        }
    }, [open, count, seen]);
    return seen === null ? 0 : Math.max(0, count - seen);
}

/** Starts or stops the recording (host, recordings enabled); null when the user may not. */
function useToggleRecording(channelID: string): (() => void) | null {
    const {formatMessage} = useIntl();
    const store = useCallsStore();
    const enabled = useSelector((s: GlobalState) => callsConfig(s).EnableRecordings);
    const host = useSelector((s: GlobalState) => canHostControl(s, channelID));
    const rec = useSelector((s: GlobalState) => callsState(s).recordings[channelID]);
    const on = Boolean(rec && rec.init_at > rec.end_at);
    return useMemo(() => {
        if (!enabled || !host) {
            return null;
        }
        return () => {
            Rest.recording(channelID, on ? 'stop' : 'start').catch((err) => {
                showGenericError(store, on ? formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'}) :
                    formatMessage({id: 'calls.recording.start', defaultMessage: 'Record call'}), (err as Error).message);
            });
        };
    }, [enabled, host, on, channelID, store, formatMessage]);
}

function RecordButton({channelID}: {channelID: string}) {
    const {formatMessage} = useIntl();
    const toggle = useToggleRecording(channelID);
    const rec = useSelector((s: GlobalState) => callsState(s).recordings[channelID]);
    if (!toggle) {
        return null;
    }
    const on = Boolean(rec && rec.init_at > rec.end_at);
    const label = on ? formatMessage({id: 'calls.recording.stop', defaultMessage: 'Stop recording'}) :
        formatMessage({id: 'calls.recording.start', defaultMessage: 'Record call'});
    return (
        <button
            id='calls-popout-record-button'
            className={`calls-btn${on ? ' calls-btn--danger' : ''}`}
            aria-label={label}
            title={`${label} (${shortcutLabel('recording')})`}
            onClick={toggle}
        ><RecordIcon size={20}/></button>
    );
}

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
    const extra = useMemo(() => ({
        toggleParticipants: () => setShowRHS((v) => !v),
        openLeave: () => setMenu('leave'),
        toggleReactions: () => setMenu((m) => (m === 'reactions' ? null : 'reactions')),
        toggleRecording: popout ? toggleRecording || undefined : undefined,
        popout,
    }), [popout, toggleRecording]);
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
    const screenStream = mine ? client?.localScreenStream ?? null : client?.remoteScreenStream ?? null;
    const closeLabel = popout ? formatMessage({id: 'calls.popout.close', defaultMessage: 'Close window'}) :
        formatMessage({id: 'calls.expanded.close', defaultMessage: 'Close expanded view'});

    return (
        <div
            id='calls-expanded-view'
            className={popout ? 'calls-expanded-view--popout' : ''}
            role={popout ? 'main' : 'dialog'}
            aria-label={formatMessage({id: 'calls.expanded.label', defaultMessage: 'Expanded call view'})}
        >
            <div className='calls-expanded-top'>
                <RecordingBadge channelID={channelID}/>
                <span data-testid='calls-expanded-duration'>{duration}</span>
                <span style={{display: 'inline-flex', gap: 4, alignItems: 'center'}}>
                    <ChannelIcon channel={channel}/>
                    {channel?.display_name || channel?.name}
                </span>
                <span className='calls-spacer'/>
                <button
                    className='calls-btn'
                    id={popout ? 'calls-popout-close-button' : 'calls-expanded-view-close'}
                    aria-label={closeLabel}
                    title={closeLabel}
                    onClick={() => (popout ? window.close() : dispatch(action('HIDE_EXPANDED_VIEW', {})))}
                >{popout ? <CloseIcon/> : <CollapseIcon/>}</button>
            </div>
            <div className='calls-expanded-body'>
                <div className='calls-expanded-center'>
                    {presenter ? (
                        <div
                            className='calls-expanded-screen'
                            ref={screenRef}
                        >
                            <ScreenPlayer
                                id='calls-expanded-view-screen-player'
                                stream={screenStream}
                            />
                            <div className='calls-expanded-screen-footer'>
                                <span style={{flex: 1}}>
                                    {mine ? formatMessage({id: 'calls.screen.sharing', defaultMessage: "You're sharing your screen"}) :
                                        formatMessage({id: 'calls.screen.viewing', defaultMessage: "You're viewing {name}'s screen"}, {name: presenterName})}
                                </span>
                                <button
                                    className='calls-btn'
                                    id='calls-expanded-view-fullscreen'
                                    aria-label={formatMessage({id: 'calls.screen.fullscreen', defaultMessage: 'Full screen'})}
                                    title={formatMessage({id: 'calls.screen.fullscreen', defaultMessage: 'Full screen'})}
                                    onClick={() => toggleFullscreen(screenRef.current)}
                                ><ExpandIcon/></button>
                            </div>
                        </div>
                    ) : <ParticipantsGrid channelID={channelID}/>}
                    <ReactionStream channelID={channelID}/>
                    <div className='calls-expanded-overlay'>
                        <Notices channelID={channelID}/>
                        <Banners testID='calls-expanded-banner-alert'/>
                    </div>
                </div>
                {showRHS && (
                    <div
                        id='rhs-participant-list'
                        role='complementary'
                        aria-label={formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
                    >
                        <header>
                            {formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
                            <span className='calls-spacer'/>
                            <button
                                className='calls-btn'
                                aria-label={formatMessage({id: 'calls.expanded.close_participants', defaultMessage: 'Close participants list'})}
                                onClick={() => setShowRHS(false)}
                            ><CloseIcon size={14}/></button>
                        </header>
                        <ParticipantsList
                            channelID={channelID}
                            id='calls-expanded-participants-list'
                            className=''
                            showTitle={false}
                        />
                    </div>
                )}
            </div>
            <div
                id='calls-expanded-view-controls'
                role='toolbar'
                aria-label={formatMessage({id: 'calls.expanded.controls', defaultMessage: 'Call controls'})}
            >
                <ParticipantsButton
                    surface='calls-popout'
                    open={showRHS}
                    count={count}
                    onToggle={() => setShowRHS((v) => !v)}
                />
                <MuteButton
                    surface='calls-popout'
                    controls={controls}
                    pushToTalk={popout}
                />
                <ScreenShareButton
                    surface='calls-popout'
                    controls={controls}
                />
                <span style={{position: 'relative'}}>
                    <button
                        id='calls-popout-emoji-button'
                        className={`calls-btn${menu === 'reactions' ? ' calls-btn--active' : ''}`}
                        aria-controls='calls-popout-emoji-bar'
                        aria-expanded={menu === 'reactions'}
                        aria-label={formatMessage({id: 'calls.reactions.add', defaultMessage: 'Add reaction'})}
                        title={`${formatMessage({id: 'calls.reactions.add', defaultMessage: 'Add reaction'})} (${shortcutLabel('reactions')})`}
                        onClick={() => setMenu(menu === 'reactions' ? null : 'reactions')}
                    ><SmileIcon size={20}/></button>
                    {menu === 'reactions' && <EmojiBar
                        onClose={closeMenu}
                        controls={controls}
                    />}
                </span>
                <RecordButton channelID={channelID}/>
                <ChatButton
                    channelID={channelID}
                    popout={popout}
                />
                <span style={{position: 'relative'}}>
                    <MoreButton
                        surface='calls-popout'
                        open={menu === 'settings'}
                        onToggle={() => setMenu(menu === 'settings' ? null : 'settings')}
                    />
                    {menu === 'settings' && <SettingsMenu
                        onClose={closeMenu}
                        controls={controls}
                        surface='calls-popout'
                    />}
                </span>
                <span style={{position: 'relative'}}>
                    <LeaveButton
                        surface='calls-popout'
                        controls={controls}
                        onToggleMenu={() => setMenu(menu === 'leave' ? null : 'leave')}
                    />
                    {menu === 'leave' && <LeaveMenu
                        id='calls-popout-leave-menu'
                        onClose={closeMenu}
                        controls={controls}
                    />}
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

/**
 * Push-to-talk in the pop-out: holding Space unmutes, releasing it (or leaving the window) mutes again. Ignored while
 * typing in a field, or while a button outside the call UI has focus (Space would press it).
 */
function usePushToTalk(controls: ReturnType<typeof useCallControls>, enabled: boolean): void {
    const held = useRef(false);
    useEffect(() => {
        if (!enabled) {
            return undefined;
        }
        const typing = (e: KeyboardEvent) => {
            const t = e.target as HTMLElement | null;
            if (!t || t === document.body) {
                return false;
            }
            if (t.closest?.('#calls-expanded-view') && t.tagName === 'BUTTON') {
                return false;
            }
            return ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(t.tagName) || t.isContentEditable;
        };
        const release = () => {
            if (held.current) {
                held.current = false;
                const c = getCallsClient();
                if (c && !c.isMuted) {
                    c.mute().catch(() => undefined);
                }
            }
        };
        const onDown = (e: KeyboardEvent) => {
            if (e.code !== 'Space' || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || typing(e)) {
                return;
            }
            e.preventDefault();
            if (e.repeat || held.current) {
                return;
            }
            const c = getCallsClient();
            if (c && c.isMuted) {
                held.current = true;
                (document.activeElement as HTMLElement | null)?.blur?.();
                c.unmute().catch(() => undefined);
            }
        };
        const onUp = (e: KeyboardEvent) => {
            if (e.code === 'Space') {
                release();
            }
        };
        window.addEventListener('keydown', onDown);
        window.addEventListener('keyup', onUp);
        window.addEventListener('blur', release);
        return () => {
            window.removeEventListener('keydown', onDown);
            window.removeEventListener('keyup', onUp);
            window.removeEventListener('blur', release);
        };
    }, [enabled, controls]);
}

/** The global component: the in-page expanded view, used only when the browser blocked the pop-out window. */
export function ExpandedViewRoot() {
    const client = useSelector(clientState);
    const expanded = useSelector((s: GlobalState) => callsState(s).expandedView);
    if (!client || !expanded || isPopOutWindow()) {
        return null;
    }
    return <ExpandedView channelID={client.channelID}/>;
}
