// Parsing and validation of settings. Every failure names the setting and says what is allowed,
// because an operator reading it must be able to fix it without opening the code.
import net from 'node:net';
import type {CallsConfig, ConfigKey, ICEServerConfig} from './types';
import {SETTINGS_BY_KEY} from './schema';
import {envNameFor} from './env';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type ValueSource = 'env' | 'saved';

function where(key: string, source: ValueSource): string {
  return source === 'env' ? `${key} (from ${envNameFor(key)})` : key;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseBool(key: string, raw: unknown, source: ValueSource): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && TRUE.has(raw.trim())) return true;
  if (typeof raw === 'string' && FALSE.has(raw.trim())) return false;
  throw new ConfigError(
    key,
    `invalid ${where(key, source)}: ${JSON.stringify(raw)} is not a boolean (use true or false)`,
  );
}

function parseInteger(key: string, raw: unknown, source: ValueSource): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
  else throw new ConfigError(key, `invalid ${where(key, source)}: ${JSON.stringify(raw)} is not an integer`);
  if (!Number.isSafeInteger(n))
    throw new ConfigError(key, `invalid ${where(key, source)}: ${JSON.stringify(raw)} is out of range`);
  return n;
}

function parseICEServers(key: string, raw: unknown, source: ValueSource): ICEServerConfig[] {
  let value = raw;
  if (typeof raw === 'string') {
    if (raw.trim() === '') return [];
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(
        key,
        `invalid ${where(key, source)}: not valid JSON (expected an array like [{"urls":["stun:host:3478"]}])`,
      );
    }
  }
  if (!Array.isArray(value))
    throw new ConfigError(
      key,
      `invalid ${where(key, source)}: expected a JSON array of {urls, username?, credential?}`,
    );
  return value.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null)
      throw new ConfigError(key, `invalid ${where(key, source)}: entry ${i} is not an object`);
    const e = entry as Record<string, unknown>;
    const urls = typeof e.urls === 'string' ? [e.urls] : e.urls;
    if (
      !Array.isArray(urls) ||
      urls.length === 0 ||
      !urls.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u))
    ) {
      throw new ConfigError(
        key,
        `invalid ${where(key, source)}: entry ${i} needs "urls" with stun:, stuns:, turn: or turns: URLs`,
      );
    }
    if (e.username !== undefined && typeof e.username !== 'string')
      throw new ConfigError(key, `invalid ${where(key, source)}: entry ${i} "username" must be a string`);
    if (e.credential !== undefined && typeof e.credential !== 'string')
      throw new ConfigError(key, `invalid ${where(key, source)}: entry ${i} "credential" must be a string`);
    const out: ICEServerConfig = {urls: urls as string[]};
    if (e.username) out.username = e.username as string;
    if (e.credential) out.credential = e.credential as string;
    return out;
  });
}

/** Parses one raw value (env string, saved JSON value) into the setting's typed form. */
export function parseSetting(key: ConfigKey, raw: unknown, source: ValueSource): unknown {
  if (key === 'ICEServersConfigs') return parseICEServers(key, raw, source);
  if (key === 'ICEServers') {
    if (Array.isArray(raw)) return raw.map(String).filter(Boolean);
    if (typeof raw === 'string')
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    throw new ConfigError(key, `invalid ${where(key, source)}: expected a comma-separated list of URLs`);
  }
  if (key === 'ICEHostPortOverride' && (raw === null || raw === '')) return null;
  const schema = SETTINGS_BY_KEY.get(key);
  if (!schema) throw new ConfigError(key, `unknown setting ${key}`);
  switch (schema.type) {
    case 'bool':
      return parseBool(key, raw, source);
    case 'number':
      return parseInteger(key, raw, source);
    default:
      if (typeof raw !== 'string') throw new ConfigError(key, `invalid ${where(key, source)}: expected a string`);
      return raw.trim();
  }
}

function checkPort(cfg: CallsConfig, key: 'UDPServerPort' | 'TCPServerPort') {
  const v = cfg[key];
  // 0 asks the OS for an ephemeral port (tests); otherwise upstream's range.
  if (v !== 0 && (v < 80 || v > 49151))
    throw new ConfigError(key, `invalid ${key}: ${v} is not in the range [80, 49151] (or 0 for an ephemeral port)`);
}

function checkURL(cfg: CallsConfig, key: 'RTCDServiceURL' | 'JobServiceURL') {
  const v = cfg[key];
  if (!v) return;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(key, `invalid ${key}: "${v}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(key, `invalid ${key}: the scheme must be http or https`);
}

/** Settings whose feature is not built yet, with what the feature is called in the refusal. */
export const NOT_AVAILABLE_YET: ReadonlyArray<readonly ['EnableTranscriptions' | 'EnableLiveCaptions', string]> = [
  ['EnableTranscriptions', 'call transcriptions'],
  ['EnableLiveCaptions', 'live captions'],
];

/** Range and cross-field rules of reference §5.1, applied to a complete config. Throws ConfigError. */
export function validateConfig(cfg: CallsConfig): void {
  if (cfg.MaxCallParticipants < 0)
    throw new ConfigError('MaxCallParticipants', 'invalid MaxCallParticipants: must be 0 (unlimited) or more');
  for (const key of ['UDPServerAddress', 'TCPServerAddress'] as const) {
    const v = cfg[key];
    if (v && net.isIP(v) === 0) throw new ConfigError(key, `invalid ${key}: "${v}" is not an IP address`);
  }
  checkPort(cfg, 'UDPServerPort');
  checkPort(cfg, 'TCPServerPort');
  const hp = cfg.ICEHostPortOverride;
  if (hp !== null && hp !== 0 && (hp < 80 || hp > 49151)) {
    throw new ConfigError(
      'ICEHostPortOverride',
      `invalid ICEHostPortOverride: ${hp} is not 0 or in the range [80, 49151]`,
    );
  }
  if (cfg.ICEHostOverride && !/^[A-Za-z0-9.:\-,/_]+$/.test(cfg.ICEHostOverride)) {
    throw new ConfigError(
      'ICEHostOverride',
      `invalid ICEHostOverride: "${cfg.ICEHostOverride}" is not an IP address or hostname`,
    );
  }
  if (cfg.TURNCredentialsExpirationMinutes < 0 || cfg.TURNCredentialsExpirationMinutes > 7 * 24 * 60) {
    throw new ConfigError(
      'TURNCredentialsExpirationMinutes',
      'invalid TURNCredentialsExpirationMinutes: must be between 0 and 10080 (one week)',
    );
  }
  if (cfg.MaxRecordingDuration < 15 || cfg.MaxRecordingDuration > 180) {
    throw new ConfigError(
      'MaxRecordingDuration',
      `invalid MaxRecordingDuration: ${cfg.MaxRecordingDuration} is not in the range [15, 180] minutes`,
    );
  }
  if (!['low', 'medium', 'high'].includes(cfg.RecordingQuality)) {
    throw new ConfigError(
      'RecordingQuality',
      `invalid RecordingQuality: "${cfg.RecordingQuality}" must be low, medium or high`,
    );
  }
  checkURL(cfg, 'RTCDServiceURL');
  checkURL(cfg, 'JobServiceURL');
  // The settings exist (upstream's names, so configs carry over) but the features do not yet: refuse to pretend.
  for (const [key, what] of NOT_AVAILABLE_YET) {
    if (cfg[key])
      throw new ConfigError(key, `${key} cannot be turned on: ${what} are not available yet in this version of Calls`);
  }
  if (cfg.EnableTranscriptions && !['whisper.cpp', 'azure'].includes(cfg.TranscribeAPI)) {
    throw new ConfigError(
      'TranscribeAPI',
      `invalid TranscribeAPI: "${cfg.TranscribeAPI}" must be whisper.cpp or azure`,
    );
  }
  if (
    cfg.EnableTranscriptions &&
    cfg.TranscribeAPI === 'azure' &&
    (!cfg.TranscribeAPIAzureSpeechKey || !cfg.TranscribeAPIAzureSpeechRegion)
  ) {
    throw new ConfigError(
      'TranscribeAPIAzureSpeechKey',
      'invalid TranscribeAPIAzureSpeechKey: the Azure speech key and region are required when TranscribeAPI is azure',
    );
  }
  for (const key of ['TranscriberModelSize', 'LiveCaptionsModelSize'] as const) {
    if (!['tiny', 'base', 'small'].includes(cfg[key]))
      throw new ConfigError(key, `invalid ${key}: "${cfg[key]}" must be tiny, base or small`);
  }
  for (const key of [
    'TranscriberNumThreads',
    'LiveCaptionsNumTranscribers',
    'LiveCaptionsNumThreadsPerTranscriber',
  ] as const) {
    if (cfg[key] <= 0) throw new ConfigError(key, `invalid ${key}: must be greater than 0`);
  }
  if (cfg.LiveCaptionsLanguage && !/^[a-z]{2}$/.test(cfg.LiveCaptionsLanguage)) {
    throw new ConfigError(
      'LiveCaptionsLanguage',
      `invalid LiveCaptionsLanguage: "${cfg.LiveCaptionsLanguage}" must be empty or a two-letter language code`,
    );
  }
}
