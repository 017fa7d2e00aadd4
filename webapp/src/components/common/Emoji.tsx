// One emoji as an image from the plugin's sprite sheet; its own character until the index has loaded, or when the
// emoji is not in it (an emoji newer than the sheet).
import React from 'react';

import {useEmojiIndex} from '../../emoji';
import type {EmojiData} from '../../types';
import {emojiFromUnified} from '../../utils/format';

export function Emoji({emoji, size = 20}: {emoji: Pick<EmojiData, 'name' | 'unified' | 'literal'>; size?: number}) {
  const index = useEmojiIndex();
  const info = index?.find(emoji);
  if (!index || !info) {
    return (
      <span className="calls-emoji calls-emoji--text" role="img" aria-label={emoji.name}>
        {emoji.literal || emojiFromUnified(emoji.unified)}
      </span>
    );
  }
  return (
    <span
      className="calls-emoji"
      role="img"
      aria-label={emoji.name}
      data-emoji={info.name}
      style={index.style(info, size)}
    />
  );
}
