// The host page's language comes from the browser when the directory has none for the user (issue 14).
import {hostLocale, mattermostLocale} from './locale';

test('browser language tags become Mattermost locales', () => {
  expect(mattermostLocale('de-DE')).toBe('de');
  expect(mattermostLocale('de')).toBe('de');
  expect(mattermostLocale('pt-br')).toBe('pt-BR');
  expect(mattermostLocale('zh-Hant')).toBe('zh-TW');
  expect(mattermostLocale('en-US')).toBe('en');
  expect(mattermostLocale('xx-YY')).toBe('');
});

test('a chosen locale wins; else the first browser language Mattermost has; else English', () => {
  expect(hostLocale('fr', ['de-DE'])).toBe('fr');
  expect(hostLocale('en', ['xx', 'de-AT', 'fr'])).toBe('de');
  expect(hostLocale(undefined, ['en-GB', 'de'])).toBe('en');
  expect(hostLocale('en', ['xx'])).toBe('en');
  expect(hostLocale('', [])).toBe('en');
});
