// The full emoji picker of the reactions bar: a search field over every emoji of the sheet, by name or description
// ("party", "thumbs"), grouped by category when nothing is typed. A click sends that reaction; Enter in the field
// sends the first match.
import React, {useMemo, useState} from 'react';
import {useIntl} from 'react-intl';

import {Emoji} from '../common/Emoji';
import {emojiData, useEmojiIndex, type EmojiInfo} from '../../emoji';
import type {EmojiData} from '../../types';

/** Results shown for a search: enough to scan, few enough to render at once. */
const MAX_RESULTS = 120;

export function EmojiPicker({onPick}: {onPick: (emoji: EmojiData) => void}) {
  const {formatMessage} = useIntl();
  const index = useEmojiIndex();
  const [query, setQuery] = useState('');
  const groups = useMemo((): Array<[string, EmojiInfo[]]> => {
    if (!index) {
      return [];
    }
    if (query.trim()) {
      return [['', index.search(query, MAX_RESULTS)]];
    }
    const byCat = new Map<string, EmojiInfo[]>();
    for (const e of index.list) {
      if (e.category !== 'Component') {
        byCat.set(e.category, [...(byCat.get(e.category) || []), e]);
      }
    }
    return [...byCat.entries()];
  }, [index, query]);
  const count = groups.reduce((n, [, l]) => n + l.length, 0);
  return (
    <div
      className="calls-emoji-picker"
      id="calls-popout-emoji-picker"
      role="dialog"
      aria-label={formatMessage({id: 'calls.reactions.picker', defaultMessage: 'Emoji picker'})}
    >
      <input
        type="search"
        className="calls-emoji-search"
        aria-label={formatMessage({id: 'calls.reactions.search', defaultMessage: 'Search emoji'})}
        placeholder={formatMessage({id: 'calls.reactions.search', defaultMessage: 'Search emoji'})}
        autoFocus={true}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          const first = groups[0]?.[1][0];
          if (e.key === 'Enter' && first) {
            e.preventDefault();
            onPick(emojiData(first));
          }
        }}
      />
      <div className="calls-emoji-results" data-testid="calls-emoji-results">
        {!index && (
          <span className="calls-emoji-empty">
            {formatMessage({id: 'calls.reactions.loading', defaultMessage: 'Loading…'})}
          </span>
        )}
        {index && count === 0 && (
          <span className="calls-emoji-empty">
            {formatMessage({id: 'calls.reactions.none', defaultMessage: 'No emoji match "{query}"'}, {query})}
          </span>
        )}
        {groups.map(([category, list]) => (
          <div key={category || 'results'} role="group" aria-label={category || undefined}>
            {category && <div className="calls-emoji-category">{category}</div>}
            <div className="calls-emoji-grid">
              {list.map((e) => (
                <button
                  key={e.unified}
                  type="button"
                  className="calls-emoji-choice"
                  aria-label={e.name}
                  data-emoji={e.name}
                  onClick={() => onPick(emojiData(e))}
                >
                  <Emoji emoji={{name: e.name, unified: e.unified}} size={24} />
                </button>
              ))}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
