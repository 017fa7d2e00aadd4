import '@testing-library/jest-dom';
import {act, fireEvent, render, screen} from '@testing-library/react';
import React from 'react';

import {Tooltip} from './Tooltip';

test('keyboard focus shows the tooltip with its keys; Escape and blur hide it; the aria-label stays', () => {
  render(
    <Tooltip text="Raise hand" shortcut="hand">
      <button aria-label="Raise hand">{'✋'}</button>
    </Tooltip>,
  );
  const btn = screen.getByRole('button', {name: 'Raise hand'});
  act(() => btn.focus());
  const tip = screen.getByRole('tooltip');
  expect(tip).toHaveClass('calls-tooltip');
  expect(tip).toHaveTextContent('Raise hand');
  expect([...tip.querySelectorAll('kbd')].map((k) => k.textContent)).toEqual(['Ctrl', 'Shift', 'Y']);
  expect(btn).toHaveAccessibleDescription('Raise hand Ctrl Shift Y');
  fireEvent.keyDown(document, {key: 'Escape'});
  expect(screen.queryByRole('tooltip')).toBeNull();
  act(() => btn.blur());
  act(() => btn.focus());
  expect(screen.getByRole('tooltip')).toBeInTheDocument();
  act(() => btn.blur());
  expect(screen.queryByRole('tooltip')).toBeNull();
  expect(btn).toHaveAttribute('aria-label', 'Raise hand');
});

test("the child's own handlers still run", () => {
  const enter = jest.fn();
  render(
    <Tooltip text="Leave call">
      <button onMouseEnter={enter}>{'x'}</button>
    </Tooltip>,
  );
  fireEvent.mouseEnter(screen.getByRole('button'));
  expect(enter).toHaveBeenCalledTimes(1);
  expect(screen.getByRole('tooltip')).toHaveTextContent('Leave call');
});
