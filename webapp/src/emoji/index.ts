// The emoji index: names, code points and sprite-sheet cells of every emoji the plugin can show as an image, loaded
// once from the plugin's static files (build/build.mjs writes them from emoji-datasource-google), so emoji look the
// same on every desktop, with or without a colour-emoji font, and nothing is fetched from outside the server.
import {useEffect, useState} from 'react';

import {basename} from '../client/rest';
import {pluginId} from '../manifest';
import type {EmojiData} from '../types';
import {emojiFromUnified} from '../utils/format';

export interface EmojiInfo {
  /** The short name reactions carry (emoji-datasource's short_name, as upstream). */
  name: string;
  names: string[];
  unified: string;
  x: number;
  y: number;
  category: string;
  description: string;
}

/** Cell size of the sheet in pixels: 32 px images with 1 px of padding each side. */
export const SHEET_CELL = 34;
const SHEET_IMAGE = 32;

export function emojiAssetURL(file: 'emoji.json' | 'sheet-32.png', base = basename()): string {
  return `${base}/static/plugins/${pluginId}/emoji/${file}`;
}

type Row = [string, string, string, number, number, string, string];

const stripFE0F = (u: string) => u.replace(/-FE0F/g, '');

export class EmojiIndex {
  readonly list: EmojiInfo[];
  readonly #byName = new Map<string, EmojiInfo>();
  readonly #byUnified = new Map<string, EmojiInfo>();

  constructor(
    readonly cols: number,
    rows: Row[],
  ) {
    this.list = rows.map(([name, names, unified, x, y, category, description]) => ({
      name,
      names: names.split(' '),
      unified: unified.toUpperCase(),
      x,
      y,
      category,
      description,
    }));
    for (const e of this.list) {
      for (const n of e.names) {
        this.#byName.set(n, e);
      }
      this.#byUnified.set(e.unified, e);
      this.#byUnified.set(stripFE0F(e.unified), e);
    }
  }

  /** By the reaction's name first, then its code points (with or without the FE0F variation selector). */
  find(emoji: Pick<EmojiData, 'name' | 'unified'>): EmojiInfo | undefined {
    const u = (emoji.unified || '').toUpperCase();
    return this.#byName.get(emoji.name) || this.#byUnified.get(u) || this.#byUnified.get(stripFE0F(u));
  }

  /** Emoji whose names or description contain every word of the query; names starting with it first. */
  search(query: string, limit = Infinity): EmojiInfo[] {
    const words = query.toLowerCase().replace(/:/g, ' ').split(/\s+/).filter(Boolean);
    if (!words.length) {
      return this.list.slice(0, limit);
    }
    const hay = (e: EmojiInfo) => `${e.names.join(' ')} ${e.description}`;
    const hits = this.list.filter((e) => words.every((w) => hay(e).includes(w)));
    const first = words[0];
    const rank = (e: EmojiInfo) => (e.names.some((n) => n.startsWith(first)) ? 0 : 1);
    return hits.sort((a, b) => rank(a) - rank(b)).slice(0, limit);
  }

  /** The CSS that shows this emoji's cell of the sheet at `size` pixels. */
  style(e: EmojiInfo, size: number, base = basename()): Record<string, string> {
    const k = size / SHEET_IMAGE;
    return {
      backgroundImage: `url("${emojiAssetURL('sheet-32.png', base)}")`,
      backgroundSize: `${this.cols * SHEET_CELL * k}px`,
      backgroundPosition: `-${(e.x * SHEET_CELL + 1) * k}px -${(e.y * SHEET_CELL + 1) * k}px`,
      width: `${size}px`,
      height: `${size}px`,
    };
  }
}

/** The reaction sent for an emoji of the index. */
export function emojiData(e: EmojiInfo): EmojiData {
  return {name: e.name, unified: e.unified, literal: emojiFromUnified(e.unified)};
}

let index: EmojiIndex | null = null;
let loading: Promise<EmojiIndex> | null = null;
const waiting = new Set<(i: EmojiIndex) => void>();

export function loadEmojiIndex(): Promise<EmojiIndex> {
  if (!loading) {
    loading = Promise.resolve()
      .then(() => fetch(emojiAssetURL('emoji.json'), {credentials: 'include'}))
      .then(async (r) => {
        if (!r.ok) {
          throw new Error(`emoji index: ${r.status}`);
        }
        const {cols, emoji} = JSON.parse(await r.text()) as {cols: number; emoji: Row[]};
        index = new EmojiIndex(cols, emoji);
        waiting.forEach((fn) => fn(index as EmojiIndex));
        waiting.clear();
        return index;
      })
      .catch((err) => {
        loading = null; // try again next time
        throw err;
      });
  }
  return loading;
}

/** The index once loaded (starting the load); null until then, and the component renders again when it arrives. */
export function useEmojiIndex(): EmojiIndex | null {
  const [, setLoaded] = useState(0);
  useEffect(() => {
    if (index) {
      return undefined;
    }
    const onLoad = () => setLoaded((n) => n + 1);
    waiting.add(onLoad);
    loadEmojiIndex().catch((err) => console.warn('calls: loading emoji failed', err));
    return () => {
      waiting.delete(onLoad);
    };
  }, []);
  return index;
}

/** For tests: forget the loaded index. */
export function resetEmojiIndexForTests(): void {
  index = null;
  loading = null;
  waiting.clear();
}
