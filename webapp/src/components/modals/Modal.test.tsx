import '@testing-library/jest-dom';
import {fireEvent, screen} from '@testing-library/react';
import React from 'react';

import {Modal} from './Modal';
import {renderWithStore} from '../../testing/render';
import {makeStore} from '../../testing/store';

test('a modal closes on Escape (not on other keys) and stops listening once it is gone', () => {
  const onClose = jest.fn();
  const {unmount} = renderWithStore(
    makeStore(),
    <Modal id="test-modal" title="Switch call" onClose={onClose}>
      {'body'}
    </Modal>,
  );
  expect(screen.getByRole('dialog')).toBeInTheDocument();
  fireEvent.keyDown(document, {key: 'Enter'});
  expect(onClose).not.toHaveBeenCalled();
  fireEvent.keyDown(document, {key: 'Escape'});
  expect(onClose).toHaveBeenCalledTimes(1);
  unmount();
  fireEvent.keyDown(document, {key: 'Escape'});
  expect(onClose).toHaveBeenCalledTimes(1);
});
