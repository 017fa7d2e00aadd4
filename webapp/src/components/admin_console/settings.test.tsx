import '@testing-library/jest-dom';
import {fireEvent, render, screen} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import {
  allSettingKeys,
  FAKE_SETTING,
  makeSectionComponent,
  makeSettingComponent,
  settingSectionKeys,
  validateICEServers,
} from './settings';
import manifest from '../../../../plugin.json';
import {action} from '../../state/action_types';
import {makeStore} from '../../testing/store';
import {PluginIntlProvider} from '../../utils/intl';
import type {AdminSettingProps} from '../../types';

function renderSetting(key: string, props: Partial<AdminSettingProps> = {}, store = makeStore({admin: true})) {
  const Comp = makeSettingComponent(key);
  const onChange = jest.fn();
  render(
    <Provider store={store as never}>
      <PluginIntlProvider>
        <Comp
          id={key}
          label=""
          helpText=""
          value={undefined}
          disabled={false}
          setByEnv={false}
          onChange={onChange}
          {...props}
        />
      </PluginIntlProvider>
    </Provider>,
  );
  return onChange;
}

describe('admin console settings', () => {
  test('help texts with JSON (braces) show as written, not as message syntax', () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    renderSetting('ICEServersConfigs');
    expect(screen.getByTestId('calls-admin-setting-ICEServersConfigs')).toHaveTextContent(
      'A JSON array of STUN/TURN servers: [{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"p"}].',
    );
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  test('there is a component for every plugin.json setting', () => {
    expect(allSettingKeys).toContain('DefaultEnabled');
    expect(allSettingKeys).toContain('ICEServersConfigs');
    expect(allSettingKeys.length).toBeGreaterThan(30);
  });

  test('Test mode is DefaultEnabled inverted', () => {
    const onChange = renderSetting('DefaultEnabled', {value: false});
    expect(screen.getByText('Test mode')).toBeInTheDocument();
    // DefaultEnabled false means test mode is on.
    expect(screen.getByRole('radio', {name: 'On'})).toBeChecked();
    fireEvent.click(screen.getByRole('radio', {name: 'Off'}));
    expect(onChange).toHaveBeenCalledWith('DefaultEnabled', true);
  });

  test('Test mode help says what On and Off do, in the switch own terms', () => {
    renderSetting('DefaultEnabled', {value: false});
    const help = screen.getByTestId('calls-admin-setting-DefaultEnabled');
    expect(help).toHaveTextContent('When on, only system admins can start calls');
    expect(help).toHaveTextContent('Turn it off to let everyone start calls.');
    expect(help).not.toHaveTextContent(/this setting off|Turn it on/);
  });

  test.each(['EnableTranscriptions', 'EnableLiveCaptions'])(
    '%s says it is not available yet and cannot be turned on',
    (key) => {
      renderSetting(key, {value: false});
      expect(screen.getByTestId(`calls-admin-not-yet-${key}`)).toHaveTextContent(/^Not available yet/);
      expect(screen.getByRole('radio', {name: 'On'})).toBeDisabled();
      expect(screen.getByRole('radio', {name: 'Off'})).toBeChecked();
    },
  );

  test('a number setting reports numbers', () => {
    const onChange = renderSetting('MaxCallParticipants', {value: 0});
    fireEvent.change(screen.getByRole('spinbutton'), {target: {value: '12'}});
    expect(onChange).toHaveBeenCalledWith('MaxCallParticipants', 12);
  });

  test('a setting set by an environment variable is read-only and says so', () => {
    const store = makeStore({admin: true});
    store.dispatch(action('RECEIVED_ENV_OVERRIDES', {UDPServerPort: '9443'}));
    renderSetting('UDPServerPort', {value: 9443}, store);
    expect(screen.getByRole('spinbutton')).toBeDisabled();
    expect(screen.getByText(/set through an environment variable/)).toBeInTheDocument();
  });

  test('RTC server fields are not applicable while an RTCD URL is set', () => {
    renderSetting('ICEHostOverride', {
      value: '',
      config: {PluginSettings: {Plugins: {'com.mattermost.calls': {rtcdserviceurl: 'http://rtcd:8045'}}}},
    });
    expect(screen.getByRole('textbox')).toBeDisabled();
    expect(screen.getByText('Not applicable when the RTCD service URL field is in use.')).toBeInTheDocument();
  });

  test('ICE servers must be a JSON array of entries with urls', () => {
    expect(validateICEServers('[{"urls":["stun:stun.example.com:3478"]}]')).toBeNull();
    expect(validateICEServers('')).toBeNull();
    expect(validateICEServers('{"urls":[]}')).toBe('must be a JSON array');
    expect(validateICEServers('[{"url":"x"}]')).toBe('every entry needs "urls"');
    expect(validateICEServers('[')).not.toBeNull();
    renderSetting('ICEServersConfigs', {value: '[{"nope":1}]'});
    expect(screen.getByText(/Invalid value/)).toBeInTheDocument();
  });

  test("a set secret shows as the server's mask: hidden in a password field, and not an invalid ICE list", () => {
    expect(FAKE_SETTING).toBe('*'.repeat(32));
    renderSetting('TURNStaticAuthSecret', {value: FAKE_SETTING});
    const secret = screen.getByTestId('calls-admin-setting-TURNStaticAuthSecret').querySelector('input')!;
    expect(secret).toHaveAttribute('type', 'password');
    expect(secret).toHaveValue(FAKE_SETTING);
    renderSetting('ICEServersConfigs', {value: FAKE_SETTING});
    expect(screen.getByTestId('calls-admin-setting-ICEServersConfigs').querySelector('textarea')).toHaveValue(
      FAKE_SETTING,
    );
    expect(screen.queryByText(/Invalid value/)).not.toBeInTheDocument();
  });
});

describe('admin console sections', () => {
  test('every custom section with settings has a section component (Mattermost shows none without one)', () => {
    const sections = (
      manifest as unknown as {settings_schema: {sections: {key: string; custom?: boolean; settings: unknown[]}[]}}
    ).settings_schema.sections;
    const custom = sections.filter((s) => s.custom && s.settings.length > 0).map((s) => s.key);
    expect(custom.length).toBeGreaterThan(0);
    expect(settingSectionKeys).toEqual(custom);
  });

  test('a section renders its translated title and the settings Mattermost hands it', () => {
    const Section = makeSectionComponent('ICEAndTURN');
    render(
      <Provider store={makeStore({admin: true}) as never}>
        <PluginIntlProvider>
          <Section settingsList={[<div key="a" data-testid="given-setting" />]} />
        </PluginIntlProvider>
      </Provider>,
    );
    const el = screen.getByTestId('calls-admin-section-ICEAndTURN');
    expect(el.querySelector('h3')).toHaveTextContent('ICE and TURN');
    expect(el).toContainElement(screen.getByTestId('given-setting'));
  });
});
