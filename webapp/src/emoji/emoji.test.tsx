import '@testing-library/jest-dom';
import {fireEvent, render, screen, waitFor} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import {EmojiIndex, resetEmojiIndexForTests} from './index';
import {Emoji} from '../components/common/Emoji';
import {EmojiPicker} from '../components/expanded_view/EmojiPicker';
import {mockFetch} from '../testing/fetch';
import {makeStore} from '../testing/store';
import {PluginIntlProvider} from '../utils/intl';

// A slice of what build/build.mjs writes (webapp/dist/emoji/emoji.json).
const SHEET = {
  cols: 62,
  emoji: [
    ['+1', '+1 thumbsup', '1F44D', 14, 12, 'People & Body', 'thumbs up sign'],
    ['heart', 'heart', '2764-FE0F', 57, 32, 'Smileys & Emotion', 'heavy black heart'],
    ['tada', 'tada', '1F389', 7, 13, 'Activities', 'party popper'],
    ['joy', 'joy', '1F602', 32, 22, 'Smileys & Emotion', 'face with tears of joy'],
  ],
};

let fetched: ReturnType<typeof mockFetch>;
beforeEach(() => {
  resetEmojiIndexForTests();
  fetched = mockFetch((c) => (c.url.endsWith('/emoji/emoji.json') ? {status: 200, body: SHEET} : {status: 404}));
});
afterEach(() => fetched.restore());

function show(ui: React.ReactElement) {
  return render(
    <Provider store={makeStore() as never}>
      <PluginIntlProvider>{ui}</PluginIntlProvider>
    </Provider>,
  );
}

test('an emoji renders as its cell of the plugin sheet, not as a character a font may lack', async () => {
  show(<Emoji emoji={{name: 'tada', unified: '1F389', literal: '🎉'}} size={32} />);
  const img = screen.getByRole('img', {name: 'tada'});
  await waitFor(() => expect(img).toHaveAttribute('data-emoji', 'tada'));
  expect(img).toHaveTextContent('');
  expect(img.style.backgroundImage).toBe('url("/static/plugins/com.mattermost.calls/emoji/sheet-32.png")');
  expect(img.style.backgroundPosition).toBe(`-${7 * 34 + 1}px -${13 * 34 + 1}px`);
  expect(img.style.backgroundSize).toBe(`${62 * 34}px`);
  expect(fetched.calls.map((c) => c.url)).toEqual(['/static/plugins/com.mattermost.calls/emoji/emoji.json']);
});

test('found by name, or by code points with or without the variation selector; unknown ones stay characters', () => {
  const index = new EmojiIndex(SHEET.cols, SHEET.emoji as never);
  expect(index.find({name: 'thumbsup', unified: ''})?.name).toBe('+1');
  expect(index.find({name: 'x', unified: '2764'})?.name).toBe('heart');
  expect(index.find({name: 'x', unified: '1f389'})?.name).toBe('tada');
  expect(index.find({name: 'x', unified: '1F9FF'})).toBeUndefined();
  expect(index.search('party').map((e) => e.name)).toEqual(['tada']);
  expect(index.search('jo').map((e) => e.name)).toEqual(['joy']);
  expect(index.search('heart').map((e) => e.name)).toEqual(['heart']);
});

test('the picker searches every emoji and sends the one picked', async () => {
  const pick = jest.fn();
  show(<EmojiPicker onPick={pick} />);
  await screen.findByRole('button', {name: 'joy'});
  expect(screen.getAllByRole('group').map((g) => g.getAttribute('aria-label'))).toEqual([
    'People & Body',
    'Smileys & Emotion',
    'Activities',
  ]);
  fireEvent.change(screen.getByRole('searchbox', {name: 'Search emoji'}), {target: {value: 'party'}});
  expect(screen.queryByRole('button', {name: 'joy'})).toBeNull();
  fireEvent.click(screen.getByRole('button', {name: 'tada'}));
  expect(pick).toHaveBeenCalledWith({name: 'tada', unified: '1F389', literal: '🎉'});
  fireEvent.change(screen.getByRole('searchbox', {name: 'Search emoji'}), {target: {value: 'zebra'}});
  expect(screen.getByText('No emoji match "zebra"')).toBeInTheDocument();
});
