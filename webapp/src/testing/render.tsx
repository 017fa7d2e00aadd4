// Renders a component as the plugin mounts it: inside the store's Provider and the plugin's IntlProvider.
import {render} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import type {makeStore} from './store';
import {PluginIntlProvider} from '../utils/intl';

export function renderWithStore(store: ReturnType<typeof makeStore>, ui: React.ReactElement) {
  return render(
    <Provider store={store as never}>
      <PluginIntlProvider>{ui}</PluginIntlProvider>
    </Provider>,
  );
}
