// The host page under a subpath: routes see the site's paths, the address bar shows them under window.basename.
import {navigate, siteHref, sitePathname} from './router';

afterEach(() => {
  delete window.basename;
  window.history.replaceState(null, '', '/');
});

test('site paths and address-bar paths under window.basename', () => {
  window.basename = '/chat';
  expect(siteHref('/team/channels/town-square')).toBe('/chat/team/channels/town-square');
  expect(sitePathname('/chat/team/channels/town-square')).toBe('/team/channels/town-square');
  expect(sitePathname('/chat')).toBe('/');
  expect(sitePathname('/chatter/x')).toBe('/chatter/x');
  navigate('/team/channels/off-topic');
  expect(window.location.pathname).toBe('/chat/team/channels/off-topic');
  expect(sitePathname()).toBe('/team/channels/off-topic');
});

test('at the root nothing changes', () => {
  expect(siteHref('/login')).toBe('/login');
  navigate('/login?redirect_to=%2Fx', true);
  expect(window.location.pathname + window.location.search).toBe('/login?redirect_to=%2Fx');
  expect(sitePathname()).toBe('/login');
});
