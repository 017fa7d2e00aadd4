// The output file's name, from the bot API's filename (reference §8 step 1): the characters upstream
// replaces become `_`, and `.mp4` is added. Also kept to a safe length and free of path tricks.
const UNSAFE = /[\\:*?"<>|/\s]/g;

export function sanitizeFilename(name: string): string {
  const clean = name
    .replace(UNSAFE, '_')
    .replace(/\p{Cc}/gu, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  return `${clean || 'recording'}.mp4`;
}
