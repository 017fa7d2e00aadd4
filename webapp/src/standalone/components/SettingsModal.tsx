// The user's Settings: one tab per plugin that called registerUserSettings. A section is either the plugin's own
// component or radio settings saved through the plugin's onSubmit. Opened from the sidebar or by a plugin through
// WebappUtils.openUserSettings({activeTab}).
import React, {useCallback, useState} from 'react';
import {useSelector} from 'react-redux';

import {useRegistry} from '../registry';
import {HostActions, store, type HostState} from '../store';
import type {PluginUserSettingsSection} from '../../types';
import {Backdrop, useEscapeKey} from '../../utils/dismiss';

function RadioSection({section}: {section: PluginUserSettingsSection}) {
  const [values, setValues] = useState<Record<string, string>>(() => section.getValues?.() || {});
  const [saved, setSaved] = useState(false);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        section.onSubmit?.(values);
        setSaved(true);
      }}
    >
      {(section.settings || []).map((setting) => (
        <fieldset key={setting.name}>
          {setting.title && <legend>{setting.title}</legend>}
          {setting.options.map((o) => (
            <label key={o.value} className="sa-radio">
              <input
                type="radio"
                name={setting.name}
                value={o.value}
                checked={(values[setting.name] ?? setting.default) === o.value}
                onChange={() => {
                  setValues((v) => ({...v, [setting.name]: o.value}));
                  setSaved(false);
                }}
              />
              {o.text}
              {o.helpText && <span className="sa-post-reply">{o.helpText}</span>}
            </label>
          ))}
        </fieldset>
      ))}
      <button type="submit" className="sa-admin-save">
        {'Save'}
      </button>
      {saved && <span role="status">{' Saved.'}</span>}
    </form>
  );
}

export function SettingsModal() {
  const reg = useRegistry();
  const open = useSelector((s: HostState) => s.views.settings.open);
  const wanted = useSelector((s: HostState) => s.views.settings.tab);
  const tabs = reg.userSettings;
  const active = tabs.find((t) => t.pluginId === wanted) || tabs[0];
  const close = useCallback(() => store.dispatch({type: HostActions.CLOSE_USER_SETTINGS}), []);
  useEscapeKey(close, open);
  if (!open) {
    return null;
  }
  return (
    <Backdrop className="sa-modal-backdrop" onClose={close}>
      <div
        id="user-settings-modal"
        className="sa-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="user-settings-title"
      >
        <header>
          <h2 id="user-settings-title">{'Settings'}</h2>
          <button type="button" aria-label="Close" id="user-settings-close" onClick={close}>
            {'×'}
          </button>
        </header>
        <div className="sa-settings-body">
          <div role="tablist" aria-orientation="vertical">
            {tabs.map((t) => (
              <button
                key={t.pluginId}
                type="button"
                role="tab"
                id={`${t.pluginId}Button`}
                aria-selected={t === active}
                onClick={() => store.dispatch({type: HostActions.OPEN_USER_SETTINGS, data: t.pluginId})}
              >
                {t.settings.uiName}
              </button>
            ))}
            {!tabs.length && <p>{'No settings.'}</p>}
          </div>
          {active && (
            <div role="tabpanel" aria-labelledby={`${active.pluginId}Button`} className="sa-settings-panel">
              {active.settings.sections.map((section) => (
                <section key={section.title} aria-label={section.title}>
                  <h3>{section.title}</h3>
                  {section.component ? <section.component /> : <RadioSection section={section} />}
                </section>
              ))}
            </div>
          )}
        </div>
      </div>
    </Backdrop>
  );
}
