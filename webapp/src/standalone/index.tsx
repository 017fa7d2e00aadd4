// The standalone host page: provides React, ReactDOM, Redux and ReactRedux as globals, window.registerPlugin with a
// plugin registry and the store, then (after login) loads /static/plugins/com.mattermost.calls/main.js exactly as
// Mattermost would. `npm start` serves it at /.
import React from 'react';
import ReactDOM from 'react-dom';
import {createRoot} from 'react-dom/client';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

import {App} from './components/App';
import {createRegistry} from './registry';
import {sendDesktopNotificationToMe} from './notifications';
import {navigate} from './router';
import {getMainWebSocket} from './session';
import {ring, stopRing} from './sounds';
import {HostActions, store, type HostState} from './store';
import '../host';
import type {PluginClass} from '../types';

declare global {
  interface Window {
    React: typeof React;
    ReactDOM: typeof ReactDOM;
    Redux: typeof Redux;
    ReactRedux: typeof ReactRedux;
    plugins: Record<string, PluginClass>;
    store: typeof store;
  }
}

window.React = React;
window.ReactDOM = ReactDOM;
window.Redux = Redux;
window.ReactRedux = ReactRedux;
window.WebappUtils = {
  browserHistory: {push: (path: string) => navigate(path)},
  openUserSettings: ({activeTab}) => {
    store.dispatch({type: HostActions.OPEN_USER_SETTINGS, data: activeTab});
  },
  notificationSounds: {ring, stopRing: () => stopRing()},
  sendDesktopNotificationToMe,
};
window.ProductApi = {
  selectRhsPost: (postID: string) => ({type: HostActions.SELECT_RHS_POST, data: postID}),
  closeRhs: () => ({type: HostActions.CLOSE_RHS}),
  getRhsSelectedPostId: (state) => (state as HostState).views.rhs.selectedPostId,
  getIsRhsOpen: (state) => (state as HostState).views.rhs.isOpen,
  useWebSocketClient: () => {
    const ws = getMainWebSocket();
    return ws
      ? {
          sendMessage: (action, data) => {
            ws.send(action, data);
          },
        }
      : null;
  },
};
window.plugins = {};
// Exposed like Mattermost's window.store, for debugging and browser tests.
window.store = store;

window.registerPlugin = (id: string, plugin: PluginClass) => {
  window.plugins[id] = plugin;
  Promise.resolve(plugin.initialize(createRegistry(id), store as never)).catch((err) => {
    console.error(`plugin ${id} failed to initialize`, err);
  });
};

const el = document.getElementById('root');
if (el) {
  createRoot(el).render(
    <ReactRedux.Provider store={store}>
      <App />
    </ReactRedux.Provider>,
  );
}
