// System Console custom settings (reference webapp.md §2.17): one translated component per plugin.json setting,
// read-only with a note when an MM_CALLS_* environment variable sets it, "not applicable" for RTC server and ICE
// fields while an RTCD service URL is set, Test mode shown inverted, and JSON validation for the ICE servers list.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import manifest from '../../../../plugin.json';
import {callsState, type GlobalState} from '../../state/selectors';
import {schemaSections, type SchemaSection, type SchemaSetting} from '../../settings_schema';
import type {AdminSectionProps, AdminSettingProps} from '../../types';

const RTC_SECTIONS = new Set(['RTCServer', 'ICEAndTURN']);
/** Feature switches whose feature is not built yet (the server refuses them: config/validate.ts NOT_AVAILABLE_YET). */
const NOT_AVAILABLE_YET = new Set(['EnableTranscriptions', 'EnableLiveCaptions']);
const NO_OVERRIDES: Record<string, string> = {};

function sectionOf(key: string): string {
  return schemaSections.find((s) => s.settings.some((x) => x.key === key))?.key || '';
}

function findSetting(key: string): SchemaSetting | undefined {
  for (const s of schemaSections) {
    const found = s.settings.find((x) => x.key === key);
    if (found) {
      return found;
    }
  }
  return undefined;
}

function rtcdURLFrom(config: Record<string, unknown> | undefined): string {
  if (!config) {
    return '';
  }
  if (typeof config.RTCDServiceURL === 'string') {
    return config.RTCDServiceURL;
  }
  const plugins = (config.PluginSettings as {Plugins?: Record<string, Record<string, unknown>>} | undefined)?.Plugins;
  const v = plugins?.[manifest.id]?.rtcdserviceurl;
  return typeof v === 'string' ? v : '';
}

/**
 * What the server shows in place of a set secret (Mattermost's FakeSetting). Saved back unchanged, it keeps the
 * stored value, so it is a valid value of any secret field.
 */
export const FAKE_SETTING = '********************************';

export function validateICEServers(text: string): string | null {
  if (!text.trim() || text === FAKE_SETTING) {
    return null;
  }
  try {
    const v = JSON.parse(text);
    if (!Array.isArray(v)) {
      return 'must be a JSON array';
    }
    for (const s of v) {
      if (!s || typeof s !== 'object' || !('urls' in s)) {
        return 'every entry needs "urls"';
      }
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function SettingInput({
  setting,
  props,
  disabled,
}: {
  setting: SchemaSetting;
  props: AdminSettingProps;
  disabled: boolean;
}) {
  const {formatMessage} = useIntl();
  const id = `${manifest.id}${setting.key}`;
  const value = props.value ?? setting.default;
  switch (setting.type) {
    case 'bool': {
      // "Test mode" is the inverse of DefaultEnabled: On means only admins can start calls.
      const inverted = setting.key === 'DefaultEnabled';
      const on = inverted ? !value : Boolean(value);
      const set = (v: boolean) => props.onChange(props.id, inverted ? !v : v);
      return (
        <div role="radiogroup">
          <label>
            <input
              type="radio"
              name={id}
              data-testid={`${id}true`}
              checked={on}
              disabled={disabled}
              onChange={() => set(true)}
            />
            {formatMessage({id: 'calls.admin.on', defaultMessage: 'On'})}
          </label>{' '}
          <label>
            <input
              type="radio"
              name={id}
              data-testid={`${id}false`}
              checked={!on}
              disabled={disabled}
              onChange={() => set(false)}
            />
            {formatMessage({id: 'calls.admin.off', defaultMessage: 'Off'})}
          </label>
        </div>
      );
    }
    case 'number':
      return (
        <input
          id={id}
          type="number"
          value={value === null || value === undefined ? '' : String(value)}
          disabled={disabled}
          onChange={(e) => props.onChange(props.id, e.target.value === '' ? null : Number(e.target.value))}
        />
      );
    case 'dropdown':
      return (
        <select
          id={id}
          value={String(value ?? '')}
          disabled={disabled}
          onChange={(e) => props.onChange(props.id, e.target.value)}
        >
          {(setting.options || []).map((o) => (
            <option key={o.value} value={o.value}>
              {o.display_name}
            </option>
          ))}
        </select>
      );
    case 'longtext': {
      const text = typeof value === 'string' ? value : JSON.stringify(value ?? '', null, 2);
      const err = setting.key === 'ICEServersConfigs' ? validateICEServers(text) : null;
      return (
        <>
          <textarea
            id={id}
            value={text}
            disabled={disabled}
            onChange={(e) => props.onChange(props.id, e.target.value)}
          />
          {err && (
            <span className="calls-admin-error">
              {formatMessage({id: 'calls.admin.invalid_json', defaultMessage: 'Invalid value: {err}'}, {err})}
            </span>
          )}
        </>
      );
    }
    default:
      return (
        <input
          id={id}
          type={/Secret|Key$/.test(setting.key) ? 'password' : 'text'}
          value={String(value ?? '')}
          disabled={disabled}
          onChange={(e) => props.onChange(props.id, e.target.value)}
        />
      );
  }
}

/**
 * A setting's label or help text as a message: its id is calls.admin.<key>.label|help and its default the English text
 * of plugin.json, which build/i18n-extract.mjs reads from plugin.json too (these ids are not literals in the code).
 */
export function adminMessage(setting: SchemaSetting, part: 'label' | 'help'): {id: string; defaultMessage: string} {
  const id = `calls.admin.${setting.key}.${part}`;
  // i18n-extract-ignore: the script takes these from plugin.json.
  return {id, defaultMessage: escapeICU(part === 'label' ? setting.display_name : setting.help_text)};
}

/**
 * plugin.json's texts are plain text, but a message is ICU: quote what ICU and formatjs would read as syntax (braces,
 * tags, apostrophes). build/i18n-extract.mjs escapes the same way.
 */
export function escapeICU(text: string): string {
  return text.replace(/'/g, "''").replace(/[{}<>]/g, (c) => `'${c}'`);
}

export function makeSettingComponent(key: string): React.ComponentType<AdminSettingProps> {
  const setting = findSetting(key);
  const Comp = (props: AdminSettingProps) => {
    const {formatMessage} = useIntl();
    const envOverrides = useSelector((s: GlobalState) => callsState(s)?.envOverrides) || NO_OVERRIDES;
    if (!setting) {
      return null;
    }
    const setByEnv = props.setByEnv || key in envOverrides;
    const rtcdInUse = RTC_SECTIONS.has(sectionOf(key)) && Boolean(rtcdURLFrom(props.config));
    const notYet = NOT_AVAILABLE_YET.has(key);
    const disabled = props.disabled || setByEnv || rtcdInUse || notYet;
    return (
      <div className="calls-admin-setting" data-testid={`calls-admin-setting-${key}`}>
        <label htmlFor={`${manifest.id}${key}`}>
          <b>{formatMessage(adminMessage(setting, 'label'))}</b>
        </label>
        <SettingInput setting={setting} props={props} disabled={disabled} />
        <span className="calls-admin-help">{formatMessage(adminMessage(setting, 'help'))}</span>
        {setByEnv && (
          <span className="calls-admin-help">
            {formatMessage({
              id: 'calls.admin.env',
              defaultMessage:
                'This setting has been set through an environment variable. It cannot be changed through the System Console.',
            })}
          </span>
        )}
        {notYet && (
          <span className="calls-admin-help calls-admin-not-yet" data-testid={`calls-admin-not-yet-${key}`}>
            {formatMessage({
              id: 'calls.admin.not_available_yet',
              defaultMessage:
                'Not available yet: this version of Calls cannot do this, so the setting stays off and the server refuses to turn it on.',
            })}
          </span>
        )}
        {rtcdInUse && (
          <span className="calls-admin-help">
            {formatMessage({
              id: 'calls.admin.rtcd_na',
              defaultMessage: 'Not applicable when the RTCD service URL field is in use.',
            })}
          </span>
        )}
      </div>
    );
  };
  Comp.displayName = `CallsSetting(${key})`;
  return Comp;
}

export const allSettingKeys: string[] = schemaSections.flatMap((s) => s.settings.map((x) => x.key));

/** The section's title, translated like the settings (the id built from plugin.json's key, the English text its own). */
export function sectionTitleMessage(section: SchemaSection): {id: string; defaultMessage: string} {
  // i18n-extract-ignore: the script takes these from plugin.json.
  return {id: `calls.admin.section.${section.key}.title`, defaultMessage: escapeICU(section.title)};
}

/**
 * A settings section of the System Console: its translated title and the settings Mattermost rendered for it (each
 * one our custom setting component). Mattermost shows a `custom: true` section only through such a component.
 */
export function makeSectionComponent(key: string): React.ComponentType<AdminSectionProps> {
  const section = schemaSections.find((s) => s.key === key);
  const Comp = ({settingsList}: AdminSectionProps) => {
    const {formatMessage} = useIntl();
    if (!section) {
      return null;
    }
    return (
      <div className="calls-admin-section" data-testid={`calls-admin-section-${key}`}>
        <h3>{formatMessage(sectionTitleMessage(section))}</h3>
        {settingsList}
      </div>
    );
  };
  Comp.displayName = `CallsAdminSection(${key})`;
  return Comp;
}

/** The sections that hold settings (the connectivity check is a section of its own, without settings). */
export const settingSectionKeys: string[] = schemaSections.filter((s) => s.settings.length > 0).map((s) => s.key);
