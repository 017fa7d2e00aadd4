import '@testing-library/jest-dom';
import {render} from '@testing-library/react';
import React from 'react';

import {Markdown} from './Markdown';

describe('command replies render their Markdown', () => {
  test('/call stats: a fenced json block is a code block, without the fence', () => {
    const {container} = render(<Markdown text={'```json\n{\n  "ice": 1\n}\n```'} />);
    expect(container.querySelector('pre code')).toHaveTextContent('{ "ice": 1 }');
    expect(container.textContent).not.toContain('```');
  });

  test('/call help: list items with inline code', () => {
    const {container} = render(
      <Markdown
        text={'Usage: `/call <subcommand>`, one of:\n- `/call start [title]`: Start a call\n- `/call leave`: Leave'}
      />,
    );
    expect(container.querySelectorAll('li')).toHaveLength(2);
    expect(container.querySelector('li code')).toHaveTextContent('/call start [title]');
    expect(container.querySelector(':scope > code')).toHaveTextContent('/call <subcommand>');
    expect(container.textContent).not.toContain('`');
  });

  test('HTML in a message stays text', () => {
    const {container} = render(<Markdown text={'<img src=x onerror=alert(1)>'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container).toHaveTextContent('<img src=x onerror=alert(1)>');
  });
});

test('a plain message is just its text', () => {
  const {container} = render(<Markdown text={'shall we talk?'} />);
  expect(container.innerHTML).toBe('shall we talk?');
});
