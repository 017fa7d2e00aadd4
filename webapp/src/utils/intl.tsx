// Each registered component gets the plugin's own IntlProvider (react-intl is bundled into the plugin, so it cannot
// share core's provider), using the current user's locale. Every string has an id and an English default message.

import React, {type ComponentType} from 'react';
import {IntlProvider} from 'react-intl';
import {useSelector} from 'react-redux';

import type {GlobalState} from '../state/selectors';

import de from '../../i18n/de.json';
import en from '../../i18n/en.json';

/**
 * The translations bundled with the plugin, by file name under webapp/i18n/: English (extracted from the sources by
 * build/i18n-extract.mjs) and the translated <locale>.json files, each one entry here (i18n.test.ts checks that every
 * file is listed and has en.json's keys and placeholders). Other locales get the English default messages.
 */
const translations: Record<string, Record<string, string>> = {de, en};

/** Mattermost locale → translation file (reference webapp.md §1.1 registerTranslations). */
const LOCALE_FILES: Record<string, string> = {'zh-CN': 'zh_Hans', 'zh-TW': 'zh_Hant', 'pt-BR': 'pt_BR'};

export function translationFile(locale: string): string {
  return LOCALE_FILES[locale] || locale;
}

export function getTranslations(locale: string): Record<string, string> {
  return translations[translationFile(locale)] || translations.en;
}

function useLocale(): string {
  return useSelector((state: GlobalState) => {
    const u = state.entities?.users?.profiles?.[state.entities.users.currentUserId];
    return u?.locale || 'en';
  });
}

export function PluginIntlProvider({children}: {children: React.ReactNode}) {
  const locale = useLocale();
  return (
    <IntlProvider
      locale={locale}
      defaultLocale="en"
      messages={getTranslations(locale)}
      onError={(err) => {
        // Missing translations fall back to the default message; that is expected for most locales.
        if (err.code !== 'MISSING_TRANSLATION') {
          console.error(err);
        }
      }}
    >
      {children}
    </IntlProvider>
  );
}

export function withIntl<P extends object>(Comp: ComponentType<P>): ComponentType<P> {
  const Wrapped = (props: P) => (
    <PluginIntlProvider>
      <Comp {...props} />
    </PluginIntlProvider>
  );
  Wrapped.displayName = `withIntl(${Comp.displayName || Comp.name || 'Component'})`;
  return Wrapped;
}

/** Marks text that must not be translated (symbols, "REC"). */
export function untranslatable(text: string): string {
  return text;
}
