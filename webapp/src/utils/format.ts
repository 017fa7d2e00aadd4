// Time formatting for the widget clock, the call post and the toast.

/** mm:ss, or h:mm:ss after an hour. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/** A human duration: "a few seconds" under 44 s, then minutes and hours. */
export function humanDuration(ms: number): string {
  const secs = Math.max(0, Math.round(ms / 1000));
  if (secs < 44) {
    return 'a few seconds';
  }
  const totalMin = Math.max(1, Math.round(secs / 60));
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  const parts: string[] = [];
  if (h) {
    parts.push(`${h} ${h === 1 ? 'hour' : 'hours'}`);
  }
  if (m || !h) {
    parts.push(`${m} ${m === 1 ? 'minute' : 'minutes'}`);
  }
  return parts.join(', ');
}

/** "a few seconds ago", "5 minutes ago", "2 hours ago". */
export function relativeTime(ts: number, now = Date.now()): string {
  const secs = Math.round((now - ts) / 1000);
  if (secs < 45) {
    return 'a few seconds ago';
  }
  const mins = Math.round(secs / 60);
  if (mins < 60) {
    return mins === 1 ? 'a minute ago' : `${mins} minutes ago`;
  }
  const hours = Math.round(mins / 60);
  if (hours < 24) {
    return hours === 1 ? 'an hour ago' : `${hours} hours ago`;
  }
  const days = Math.round(hours / 24);
  return days === 1 ? 'a day ago' : `${days} days ago`;
}

/** An emoji's text from its unified code points ("1f44d" → 👍). */
export function emojiFromUnified(unified: string): string {
  try {
    return unified
      .split('-')
      .map((cp) => String.fromCodePoint(parseInt(cp, 16)))
      .join('');
  } catch {
    return '';
  }
}
