// The little Markdown that command replies and system messages use, as Mattermost renders it: fenced code blocks,
// `inline code` and "- " list items; everything else is plain text (never HTML: a message is untrusted input).
import React from 'react';

function inline(text: string, key: string): React.ReactNode[] {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) =>
      part.length > 2 && part.startsWith('`') && part.endsWith('`') ? (
        <code key={`${key}-${i}`}>{part.slice(1, -1)}</code>
      ) : (
        part
      ),
    );
}

/** Plain lines stay text (the message keeps white-space: pre-wrap, so a one-line message is just its text). */
function lines(text: string, key: string): React.ReactNode[] {
  const out: React.ReactNode[] = [];
  let items: string[] = [];
  let plain: string[] = [];
  const flushPlain = () => {
    const t = plain.join('\n').replace(/^\n+|\n+$/g, '');
    if (t) {
      out.push(...inline(t, `${key}-t${out.length}`));
    }
    plain = [];
  };
  const flushItems = () => {
    if (items.length) {
      const k = `${key}-ul${out.length}`;
      out.push(
        <ul key={k}>
          {items.map((it, i) => (
            <li key={i}>{inline(it, `${k}-${i}`)}</li>
          ))}
        </ul>,
      );
      items = [];
    }
  };
  for (const line of text.split('\n')) {
    const m = /^\s*[-*] (.*)$/.exec(line);
    if (m) {
      flushPlain();
      items.push(m[1]);
    } else {
      flushItems();
      plain.push(line);
    }
  }
  flushPlain();
  flushItems();
  return out;
}

export function Markdown({text}: {text: string}) {
  const parts = text.split(/^```[^\n]*\n([\s\S]*?)\n?```[ \t]*$/m);
  // split with one capture group alternates text, code, text, code, …
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <pre key={i}>
            <code>{part}</code>
          </pre>
        ) : (
          lines(part, String(i))
        ),
      )}
    </>
  );
}
