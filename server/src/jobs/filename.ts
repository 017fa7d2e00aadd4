// The recording's file name (reference calls-protocol §4.3 GET /bot/calls/{id}/filename):
// Call_<name>_<YYYY-MM-DD_HH-MM-SS UTC>, the name being the channel's display name or, in a DM/GM, the
// display names of its first 8 members joined by "-"; spaces become "_", 24 characters at most plus "…",
// then anything outside [a-zA-Z0-9._-] becomes "_".
import type {Channel, User} from '../platform/types';

export function userDisplayName(u: User): string {
  const full = [u.first_name, u.last_name].filter(Boolean).join(' ');
  return full || u.username;
}

export function recordingFilename(channel: Channel, members: User[], at: number): string {
  let name = channel.display_name;
  if (channel.type === 'D' || channel.type === 'G') name = members.slice(0, 8).map(userDisplayName).join('-');
  name = name.replace(/ /g, '_');
  const chars = [...name];
  if (chars.length > 24) name = chars.slice(0, 24).join('') + '…';
  name = name.replace(/[^a-zA-Z0-9._-]/gu, '_');
  const d = new Date(at).toISOString(); // 2024-01-02T03:04:05.678Z
  const stamp = `${d.slice(0, 10)}_${d.slice(11, 19).replace(/:/g, '-')}`;
  return `Call_${name}_${stamp}`;
}
