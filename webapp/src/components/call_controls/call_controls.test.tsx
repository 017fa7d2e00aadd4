// The call controls both surfaces draw (widget: calls-widget, expanded view and pop-out: calls-popout): the labels,
// tooltips and element ids each surface's users and browser tests rely on, and what a click does.
import '@testing-library/jest-dom';
import {fireEvent, render, screen, within} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import type {ControlsSurface} from './controls';
import {HandButton} from './HandButton';
import {LeaveButton} from './LeaveButton';
import {LeaveMenu} from './LeaveMenu';
import {MoreButton} from './MoreButton';
import {MuteButton} from './MuteButton';
import {ParticipantsButton} from './ParticipantsButton';
import {ScreenShareButton} from './ScreenShareButton';
import {SettingsMenu} from './SettingsMenu';
import type {CallsClient, ClientEvents} from '../../client/calls_client';
import {setCallsClient} from '../../client/current';
import {makeStore} from '../../testing/store';
import {Emitter} from '../../utils/emitter';
import {PluginIntlProvider} from '../../utils/intl';
import {fakeControls as controls} from '../../testing/controls';

const SURFACES: ControlsSurface[] = ['calls-widget', 'calls-popout'];

function show(ui: React.ReactElement) {
  const store = makeStore();
  return render(
    <Provider store={store as never}>
      <PluginIntlProvider>{ui}</PluginIntlProvider>
    </Provider>,
  );
}

/**
 * Hovers the control and checks its styled tooltip: the label, the shortcut's keys as key chips, an optional second
 * line; the control is described by it and has no native title.
 */
function expectTooltip(el: HTMLElement, text: string, keys: string[], hint?: string) {
  expect(el).not.toHaveAttribute('title');
  fireEvent.mouseEnter(el);
  const tip = screen.getByRole('tooltip');
  expect(el).toHaveAttribute('aria-describedby', tip.id);
  expect(tip.querySelector('.calls-tooltip-text')).toHaveTextContent(text);
  expect([...tip.querySelectorAll('kbd')].map((k) => k.textContent)).toEqual(keys);
  if (hint) {
    expect(tip.querySelector('.calls-tooltip-hint')).toHaveTextContent(hint);
  } else {
    expect(tip.querySelector('.calls-tooltip-hint')).toBeNull();
  }
  fireEvent.mouseLeave(el);
  expect(screen.queryByRole('tooltip')).toBeNull();
}

describe('mute button', () => {
  test.each(SURFACES)('%s: says what a click does, with the shortcut, and toggles', (surface) => {
    const c = controls();
    const {unmount} = show(<MuteButton surface={surface} controls={c} />);
    const btn = screen.getByRole('button', {name: 'Unmute'});
    expectTooltip(btn, 'Unmute', ['Ctrl', 'Shift', 'Space']);
    expect(btn).not.toHaveClass('calls-btn--on');
    fireEvent.click(btn);
    expect(c.toggleMute).toHaveBeenCalledTimes(1);
    unmount();
    show(<MuteButton surface={surface} controls={controls({muted: false})} />);
    expect(screen.getByRole('button', {name: 'Mute'})).toHaveClass('calls-btn--on');
    expectTooltip(screen.getByRole('button', {name: 'Mute'}), 'Mute', ['Ctrl', 'Shift', 'Space']);
  });

  test.each(SURFACES)(
    '%s: a denied or missing microphone shows as unavailable, not as muted, and says why',
    (surface) => {
      const {unmount} = show(<MuteButton surface={surface} controls={controls({micUnavailable: 'permission'})} />);
      expect(screen.queryByRole('button', {name: 'Unmute'})).toBeNull();
      const btn = screen.getByRole('button', {name: 'Microphone unavailable'});
      expectTooltip(btn, 'Microphone unavailable', [], 'Allow microphone access to Mattermost');
      expect(btn).toHaveClass('calls-btn--unavailable');
      expect(btn).toHaveAttribute('data-unavailable', 'permission');
      expect(screen.getByTestId('calls-mic-unavailable')).toBeInTheDocument();
      unmount();
      show(<MuteButton surface={surface} controls={controls({micUnavailable: 'missing'})} />);
      expectTooltip(
        screen.getByRole('button', {name: 'Microphone unavailable'}),
        'Microphone unavailable',
        [],
        'No audio input devices',
      );
    },
  );

  test('the ids and test ids each surface is found by', () => {
    const {unmount} = show(<MuteButton surface="calls-widget" controls={controls()} disabled={true} />);
    expect(screen.getByRole('button', {name: 'Unmute'})).toHaveAttribute('id', 'voice-mute-unmute');
    expect(screen.getByRole('button', {name: 'Unmute'})).not.toHaveAttribute('data-testid');
    expect(screen.getByRole('button', {name: 'Unmute'})).toBeDisabled();
    unmount();
    show(<MuteButton surface="calls-popout" controls={controls({muted: false})} />);
    expect(screen.getByRole('button', {name: 'Mute'})).toHaveAttribute('id', 'calls-popout-mute-button');
    expect(screen.getByTestId('calls-popout-unmuted')).toBeEnabled();
  });

  test('in the pop-out the tooltip also says that holding Space talks', () => {
    show(<MuteButton surface="calls-popout" controls={controls()} pushToTalk={true} />);
    expectTooltip(
      screen.getByRole('button', {name: 'Unmute'}),
      'Unmute',
      ['Ctrl', 'Shift', 'Space'],
      'Or hold space bar',
    );
  });
});

describe('hand button', () => {
  test('widget: a bar button, raise then lower', () => {
    const c = controls();
    const {unmount} = show(<HandButton surface="calls-widget" controls={c} />);
    const btn = screen.getByRole('button', {name: 'Raise hand'});
    expect(btn).toHaveAttribute('id', 'raise-hand');
    expectTooltip(btn, 'Raise hand', ['Ctrl', 'Shift', 'Y']);
    fireEvent.click(btn);
    expect(c.toggleHand).toHaveBeenCalledTimes(1);
    unmount();
    show(<HandButton surface="calls-widget" controls={controls({handRaised: true})} />);
    expect(screen.getByRole('button', {name: 'Lower hand'})).toHaveClass('calls-btn--active');
  });

  test('expanded view: an item of the reactions bar that closes the bar after toggling', () => {
    const c = controls({handRaised: true});
    const done = jest.fn();
    show(
      <div role="menu">
        <HandButton surface="calls-popout" controls={c} onDone={done} />
      </div>,
    );
    const item = screen.getByRole('menuitem', {name: 'Lower hand'});
    expect(item).toHaveAttribute('data-testid', 'lower-hand-button');
    expect(item).not.toHaveAttribute('id');
    fireEvent.click(item);
    expect(c.toggleHand).toHaveBeenCalledTimes(1);
    expect(done).toHaveBeenCalledTimes(1);
  });

  test.each(SURFACES)('%s: not offered where hands cannot be raised (DMs and GMs)', (surface) => {
    show(<HandButton surface={surface} controls={controls({canRaiseHand: false})} />);
    expect(screen.queryByRole('button', {name: 'Raise hand'})).toBeNull();
    expect(screen.queryByRole('menuitem', {name: 'Raise hand'})).toBeNull();
  });
});

describe('screen share button', () => {
  test.each(SURFACES)('%s: start, stop, and disabled while another presents', (surface) => {
    const c = controls();
    const {unmount} = show(<ScreenShareButton surface={surface} controls={c} />);
    const btn = screen.getByRole('button', {name: 'Start presenting'});
    expect(btn).toHaveAttribute('id', `${surface}-screenshare-button`);
    expectTooltip(btn, 'Start presenting', ['Ctrl', 'Shift', 'E']);
    fireEvent.click(btn);
    expect(c.toggleScreen).toHaveBeenCalledTimes(1);
    unmount();
    const {unmount: unmount2} = show(
      <ScreenShareButton surface={surface} controls={controls({sharing: true, canShare: false})} />,
    );
    expect(screen.getByRole('button', {name: 'Stop presenting'})).toBeEnabled();
    unmount2();
    show(<ScreenShareButton surface={surface} controls={controls({someoneElseSharing: true, canShare: false})} />);
    expect(screen.getByRole('button', {name: 'Start presenting'})).toBeDisabled();
  });
});

describe('participants button', () => {
  test('widget: the count, and a tooltip naming the list', () => {
    const toggle = jest.fn();
    show(<ParticipantsButton surface="calls-widget" open={false} count={3} onToggle={toggle} />);
    const btn = screen.getByRole('button', {name: 'Show participants'});
    expect(btn).toHaveAttribute('aria-controls', 'calls-widget-participants-list');
    expect(btn).toHaveAttribute('aria-expanded', 'false');
    expectTooltip(btn, 'Participants', ['Alt', 'P']);
    expect(screen.getByTestId('calls-widget-participants-count')).toHaveTextContent('3');
    fireEvent.click(btn);
    expect(toggle).toHaveBeenCalledTimes(1);
  });

  test('expanded view: controls the side panel and says what a click does', () => {
    show(<ParticipantsButton surface="calls-popout" open={true} count={2} onToggle={jest.fn()} />);
    const btn = screen.getByRole('button', {name: 'Hide participants'});
    expect(btn).toHaveAttribute('id', 'calls-popout-participants-button');
    expect(btn).toHaveAttribute('aria-controls', 'rhs-participant-list');
    expect(btn).toHaveAttribute('aria-expanded', 'true');
    expectTooltip(btn, 'Hide participants', ['Alt', 'P']);
    expect(btn).toHaveTextContent('2');
  });
});

describe('leave button and menu', () => {
  test.each(SURFACES)('%s: leaves in one click, or opens the menu for a host with others', (surface) => {
    const c = controls();
    const toggleMenu = jest.fn();
    const {unmount} = show(<LeaveButton surface={surface} controls={c} onToggleMenu={toggleMenu} />);
    const btn = screen.getByRole('button', {name: 'Leave call'});
    expect(btn).toHaveAttribute('id', `${surface}-leave-button`);
    expectTooltip(btn, 'Leave call', ['Ctrl', 'Shift', 'L']);
    fireEvent.click(btn);
    expect(c.leave).toHaveBeenCalledTimes(1);
    expect(toggleMenu).not.toHaveBeenCalled();
    unmount();
    const host = controls({leaveNeedsMenu: true});
    show(<LeaveButton surface={surface} controls={host} onToggleMenu={toggleMenu} />);
    fireEvent.click(screen.getByRole('button', {name: 'Leave call'}));
    expect(toggleMenu).toHaveBeenCalledTimes(1);
    expect(host.leave).not.toHaveBeenCalled();
  });

  test('the menu ends the call for everyone, or only leaves, and closes either way', () => {
    const c = controls({leaveNeedsMenu: true});
    const close = jest.fn();
    show(<LeaveMenu id="calls-popout-leave-menu" onClose={close} controls={c} />);
    const menu = screen.getByRole('menu', {name: 'Leave call menu'});
    fireEvent.click(within(menu).getByRole('menuitem', {name: /End call for everyone/}));
    expect(c.endForEveryone).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    fireEvent.click(document.getElementById('calls-popout-leave-menu-leave-call')!);
    expect(c.leave).toHaveBeenCalledTimes(1);
    fireEvent.click(within(menu).getByRole('menuitem', {name: 'Cancel'}));
    expect(close).toHaveBeenCalledTimes(3);
    expect(c.leave).toHaveBeenCalledTimes(1);
  });
});

class DevicesClient extends Emitter<ClientEvents> {
  isClosed = false;
  devices = {
    audioinput: [
      {deviceId: 'default', label: 'Built-in', kind: 'audioinput'},
      {deviceId: 'usb', label: 'USB mic', kind: 'audioinput'},
    ],
    audiooutput: [] as Array<{deviceId: string; label: string; kind: string}>,
  };
  currentAudioInput = this.devices.audioinput[0];
  currentAudioOutput = null;
  setAudioInputDevice = jest.fn(() => Promise.resolve());
  setAudioOutputDevice = jest.fn();
}

describe('more button and menu', () => {
  afterEach(() => setCallsClient(null));

  test.each(SURFACES)('%s: the button opens the menu it controls', (surface) => {
    const toggle = jest.fn();
    show(<MoreButton surface={surface} open={true} onToggle={toggle} />);
    const btn = screen.getByRole('button', {name: 'More options'});
    expect(btn).toHaveAttribute('aria-controls', `${surface}-settings-menu`);
    expect(btn).toHaveAttribute('aria-expanded', 'true');
    expect(btn).toHaveAttribute(
      'id',
      surface === 'calls-widget' ? 'calls-widget-toggle-menu-button' : 'calls-popout-settings-button',
    );
    fireEvent.click(btn);
    expect(toggle).toHaveBeenCalledTimes(1);
  });

  test.each(SURFACES)('%s: picks a microphone from the device list and closes', (surface) => {
    const client = new DevicesClient();
    setCallsClient(client as unknown as CallsClient);
    const close = jest.fn();
    show(<SettingsMenu surface={surface} controls={controls()} onClose={close} />);
    const menu = screen.getByRole('menu', {name: 'More options'});
    expect(menu).toHaveAttribute('id', `${surface}-settings-menu`);
    const mic = within(menu).getByRole('menuitem', {name: /Microphone/});
    expect(mic).toHaveTextContent('Default - Built-in');
    fireEvent.click(mic);
    const mics = screen.getByRole('menu', {name: 'Microphones'});
    expect(within(mics).getByRole('menuitemradio', {name: 'Default - Built-in'})).toHaveAttribute(
      'aria-checked',
      'true',
    );
    fireEvent.click(within(mics).getByRole('menuitemradio', {name: 'USB mic'}));
    expect(client.setAudioInputDevice).toHaveBeenCalledWith(client.devices.audioinput[1]);
    expect(close).toHaveBeenCalledTimes(1);
    fireEvent.click(within(menu).getByRole('menuitem', {name: /Audio output/}));
    expect(
      within(screen.getByRole('menu', {name: 'Audio output devices'})).getByText('No devices'),
    ).toBeInTheDocument();
  });

  test("presenting is in the widget's menu only (the expanded view has its own button in view)", () => {
    const c = controls();
    const {unmount} = show(<SettingsMenu surface="calls-widget" controls={c} onClose={jest.fn()} />);
    fireEvent.click(screen.getByRole('menuitem', {name: 'Start presenting'}));
    expect(c.toggleScreen).toHaveBeenCalledTimes(1);
    unmount();
    show(<SettingsMenu surface="calls-popout" controls={c} onClose={jest.fn()} />);
    expect(screen.queryByRole('menuitem', {name: 'Start presenting'})).toBeNull();
  });

  test('a click on its own toggle button does not count as a click outside', () => {
    const close = jest.fn();
    show(
      <div>
        <MoreButton surface="calls-popout" open={true} onToggle={jest.fn()} />
        <SettingsMenu surface="calls-popout" controls={controls()} onClose={close} />
      </div>,
    );
    fireEvent.mouseDown(screen.getByRole('button', {name: 'More options'}));
    expect(close).not.toHaveBeenCalled();
    fireEvent.mouseDown(document.body);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
