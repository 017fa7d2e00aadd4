// Subpath installs (reference webapp.md §1.1, checklist #74): window.basename prefixes the REST calls, the calls
// websocket, the pop-out window's URL (and recognising it), and the plugin's static files and avatars.
import {clientOptions} from './call_flow';
import {basename, Rest} from './client/rest';
import {avatarURL} from './components/common/Avatar';
import {fileURL} from './components/custom_post_types/RecordingPost';
import {popOutChannelID, popOutURL} from './popout';
import {soundURL} from './sounds';
import {makeStore} from './testing/store';

const CHANNEL_ID = 'abcdefghijklmnopqrstuvwxyz';

describe('window.basename', () => {
  afterEach(() => {
    delete window.basename;
    jest.restoreAllMocks();
  });

  test('is read without its trailing slash, and empty when unset', () => {
    expect(basename()).toBe('');
    window.basename = '/company/chat/';
    expect(basename()).toBe('/company/chat');
  });

  test('prefixes REST calls', async () => {
    window.basename = '/company/chat';
    const urls: string[] = [];
    global.fetch = jest.fn(async (url: RequestInfo | URL) => {
      urls.push(String(url));
      return {ok: true, status: 200, statusText: '', text: async () => '{}'} as unknown as Response;
    }) as typeof fetch;
    await Rest.getConfig();
    await Rest.dismissNotification(CHANNEL_ID);
    await Rest.getProfilesByIds(['u1']);
    expect(urls).toEqual([
      '/company/chat/plugins/com.mattermost.calls/config',
      `/company/chat/plugins/com.mattermost.calls/calls/${CHANNEL_ID}/dismiss-notification`,
      '/company/chat/api/v4/users/ids',
    ]);
  });

  test("prefixes the calls websocket a new call connects to: the host page's on the standalone page", async () => {
    const standalone = () => makeStore({config: {CallsStandaloneHost: 'true'}});
    window.basename = '/company/chat';
    const opts = await clientOptions(standalone(), CHANNEL_ID);
    expect(opts.wsURL).toBe(`ws://${window.location.host}/company/chat/api/v4/websocket`);
    delete window.basename;
    expect((await clientOptions(standalone(), CHANNEL_ID)).wsURL).toBe(`ws://${window.location.host}/api/v4/websocket`);
  });

  test("inside Mattermost (no standalone key in the host's config) the call connects to the plugin's websocket", async () => {
    window.basename = '/company/chat';
    expect((await clientOptions(makeStore(), CHANNEL_ID)).wsURL).toBe(
      `ws://${window.location.host}/company/chat/plugins/com.mattermost.calls/websocket`,
    );
    delete window.basename;
    // Any other value of the key is not the standalone page.
    expect((await clientOptions(makeStore({config: {CallsStandaloneHost: 'false'}}), CHANNEL_ID)).wsURL).toBe(
      `ws://${window.location.host}/plugins/com.mattermost.calls/websocket`,
    );
  });

  test('prefixes the pop-out URL, which is still recognised under the subpath', () => {
    window.basename = '/company/chat';
    const url = popOutURL('calls', CHANNEL_ID);
    expect(url).toBe(`/company/chat/calls/com.mattermost.calls/expanded/${CHANNEL_ID}`);
    expect(popOutChannelID(url)).toBe(CHANNEL_ID);
    expect(popOutChannelID(`/calls/channels/${CHANNEL_ID}`)).toBe('');
    delete window.basename;
    expect(popOutURL('calls', CHANNEL_ID)).toBe(`/calls/com.mattermost.calls/expanded/${CHANNEL_ID}`);
    expect(popOutChannelID(`/calls/com.mattermost.calls/expanded/${CHANNEL_ID}`)).toBe(CHANNEL_ID);
  });

  test('prefixes static files (sounds), avatars and file downloads', () => {
    window.basename = '/company/chat';
    expect(soundURL('join_self')).toBe('/company/chat/static/plugins/com.mattermost.calls/sounds/join_self.wav');
    expect(avatarURL('u1')).toBe('/company/chat/api/v4/users/u1/image');
    expect(fileURL('f1')).toBe('/company/chat/api/v4/files/f1');
  });
});
