// The host page's language: the standalone directory stores no language per user (every profile says 'en'), so the
// host uses the browser's preferred language, as Mattermost codes it, in the profile it hands to plugins.

/** Mattermost's interface languages (Settings › Display › Language), by browser language tag. */
const MATTERMOST_LOCALES = [
  'bg',
  'cs',
  'de',
  'en',
  'en-AU',
  'es',
  'fa',
  'fr',
  'hr',
  'hu',
  'it',
  'ja',
  'ko',
  'lt',
  'nl',
  'pl',
  'pt-BR',
  'ro',
  'ru',
  'sv',
  'tr',
  'uk',
  'vi',
  'zh-CN',
  'zh-TW',
];
const ALIASES: Record<string, string> = {'zh-hans': 'zh-CN', 'zh-sg': 'zh-CN', 'zh-hant': 'zh-TW', 'zh-hk': 'zh-TW'};

/** A browser language tag (de-DE, pt-br, zh-Hant) as a Mattermost locale, or '' when Mattermost has none for it. */
export function mattermostLocale(tag: string): string {
  const lower = tag.trim().toLowerCase();
  if (ALIASES[lower]) {
    return ALIASES[lower];
  }
  const exact = MATTERMOST_LOCALES.find((l) => l.toLowerCase() === lower);
  if (exact) {
    return exact;
  }
  const base = lower.split('-')[0];
  return MATTERMOST_LOCALES.find((l) => l === base) || '';
}

/** The user's locale when one was chosen (not the directory's default 'en'), else the first browser language known. */
export function hostLocale(userLocale: string | undefined, browserLanguages: readonly string[]): string {
  if (userLocale && userLocale !== 'en') {
    return userLocale;
  }
  for (const tag of browserLanguages) {
    const l = mattermostLocale(tag);
    if (l) {
      return l;
    }
  }
  return 'en';
}
