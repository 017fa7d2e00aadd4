// System Console › Plugins › Calls: renders plugin.json's settings schema by section, using the plugin's
// registerAdminConsoleCustomSetting component for a setting when it has one, and saves with PUT /api/v4/config.
// Mattermost stores plugin settings with lower-cased keys; the form does the same.
import React, {useEffect, useState} from 'react';

import manifest from '../../../../plugin.json';
import {Api, type ServerConfig} from '../api';
import {useRegistry} from '../registry';
import {schemaSections as sections, type SchemaSetting} from '../../settings_schema';
import type {AdminSettingProps} from '../../types';

function DefaultSetting({setting, props}: {setting: SchemaSetting; props: AdminSettingProps}) {
  const id = `setting-${setting.key}`;
  let input: React.ReactNode;
  switch (setting.type) {
    case 'bool':
      input = (
        <input
          id={id}
          type="checkbox"
          checked={Boolean(props.value)}
          onChange={(e) => props.onChange(props.id, e.target.checked)}
        />
      );
      break;
    case 'number':
      input = (
        <input
          id={id}
          type="number"
          value={props.value === null || props.value === undefined ? '' : String(props.value)}
          onChange={(e) => props.onChange(props.id, e.target.value === '' ? null : Number(e.target.value))}
        />
      );
      break;
    case 'dropdown':
      input = (
        <select id={id} value={String(props.value ?? '')} onChange={(e) => props.onChange(props.id, e.target.value)}>
          {(setting.options || []).map((o) => (
            <option key={o.value} value={o.value}>
              {o.display_name}
            </option>
          ))}
        </select>
      );
      break;
    case 'longtext':
      input = (
        <textarea
          id={id}
          value={typeof props.value === 'string' ? props.value : JSON.stringify(props.value ?? '')}
          onChange={(e) => props.onChange(props.id, e.target.value)}
        />
      );
      break;
    default:
      input = (
        <input
          id={id}
          type="text"
          value={String(props.value ?? '')}
          onChange={(e) => props.onChange(props.id, e.target.value)}
        />
      );
  }
  return (
    <div className="calls-admin-setting">
      <label htmlFor={id}>
        <b>{props.label}</b>
      </label>
      {input}
      <span className="calls-admin-help">{props.helpText}</span>
    </div>
  );
}

export function AdminPage() {
  const reg = useRegistry();
  const [config, setConfig] = useState<ServerConfig | null>(null);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [dirty, setDirty] = useState(false);
  const [status, setStatus] = useState<{ok: boolean; text: string} | null>(null);

  useEffect(() => {
    Api.getConfig()
      .then((cfg) => {
        setConfig(cfg);
        setValues({...(cfg.PluginSettings?.Plugins?.[manifest.id] || {})});
      })
      .catch((err) => setStatus({ok: false, text: (err as Error).message}));
  }, []);

  if (!config) {
    return (
      <div className="sa-admin">
        <h2>{'Calls'}</h2>
        {status ? (
          <div className="sa-error" role="alert">
            {status.text}
          </div>
        ) : (
          <p>{'Loading…'}</p>
        )}
      </div>
    );
  }

  const edited: ServerConfig = {
    ...config,
    PluginSettings: {...config.PluginSettings, Plugins: {...config.PluginSettings.Plugins, [manifest.id]: values}},
  };
  const onChange = (id: string, value: unknown) => {
    setValues((v) => ({...v, [id.toLowerCase()]: value}));
    setDirty(true);
    setStatus(null);
  };
  const save = async () => {
    try {
      const saved = await Api.putConfig(edited);
      setConfig(saved);
      setValues({...(saved.PluginSettings?.Plugins?.[manifest.id] || values)});
      setDirty(false);
      setStatus({ok: true, text: 'Settings saved.'});
    } catch (err) {
      setStatus({ok: false, text: (err as Error).message});
    }
  };

  return (
    <div className="sa-admin" id="admin-console-calls">
      <h2>{manifest.name}</h2>
      <p>{manifest.settings_schema.header}</p>
      {sections.map((section) => {
        const settingsList = section.settings.map((setting) => {
          const stored = values[setting.key.toLowerCase()];
          const props: AdminSettingProps = {
            id: setting.key,
            label: setting.display_name,
            helpText: setting.help_text,
            value: stored === undefined ? setting.default : stored,
            disabled: false,
            setByEnv: false,
            onChange,
            setSaveNeeded: () => setDirty(true),
            config: edited as unknown as Record<string, unknown>,
          };
          const Custom = reg.adminSettings[setting.key]?.component;
          return Custom ? (
            <Custom key={setting.key} {...props} />
          ) : (
            <DefaultSetting key={setting.key} setting={setting} props={props} />
          );
        });
        // As Mattermost does: a custom section's component renders the section, its settings included.
        const Section = reg.adminSections[section.key];
        return (
          <section key={section.key} id={`admin-section-${section.key}`} aria-label={section.title}>
            {Section ? (
              <Section settingsList={settingsList} />
            ) : (
              <>
                <h3>{section.title}</h3>
                {settingsList}
              </>
            )}
          </section>
        );
      })}
      <div className="sa-admin-footer">
        <button className="sa-admin-save" id="saveSetting" disabled={!dirty} onClick={save}>
          {'Save'}
        </button>
        {status && (
          <span role="status" className={status.ok ? '' : 'sa-error'} data-testid="admin-save-status">
            {status.text}
          </span>
        )}
      </div>
    </div>
  );
}
