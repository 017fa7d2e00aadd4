// Generated profile pictures: the user's initials on a colour derived from their id.
import type {User} from '../types';

const COLORS = ['#1e88e5', '#43a047', '#e53935', '#8e24aa', '#fb8c00', '#00897b', '#3949ab', '#6d4c41'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;'})[c] ?? c);
}

export function avatarSVG(u: User): string {
  let h = 0;
  for (const ch of u.id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const color = COLORS[h % COLORS.length];
  const initials =
    ((u.first_name[0] ?? '') + (u.last_name[0] ?? '')).toUpperCase() || u.username.slice(0, 2).toUpperCase();
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">` +
    `<rect width="128" height="128" fill="${color}"/>` +
    `<text x="64" y="64" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">${escapeXml(initials)}</text></svg>`
  );
}
