import {isOriginAllowed} from './origin';

const SITE = 'https://calls.example.com';

test('no Origin (a non-browser client) is allowed', () => {
  expect(isOriginAllowed({host: 'calls.example.com'}, SITE)).toBe(true);
});

test("the site URL's origin, or the host the request was sent to, is allowed", () => {
  expect(isOriginAllowed({origin: 'https://calls.example.com', host: 'backend:8065'}, SITE)).toBe(true);
  expect(isOriginAllowed({origin: 'https://Calls.Example.com:443', host: 'backend:8065'}, SITE)).toBe(true);
  expect(isOriginAllowed({origin: 'http://127.0.0.1:8065', host: '127.0.0.1:8065'}, 'http://localhost:8065')).toBe(
    true,
  );
  expect(isOriginAllowed({origin: 'http://example.org', host: 'Example.org:80'}, SITE)).toBe(true);
});

test('any other origin is refused', () => {
  expect(isOriginAllowed({origin: 'https://evil.example', host: 'calls.example.com'}, SITE)).toBe(false);
  // Same host, other scheme or port: another origin for the site URL.
  expect(isOriginAllowed({origin: 'http://calls.example.com:8080', host: 'backend'}, SITE)).toBe(false);
  expect(isOriginAllowed({origin: 'https://calls.example.com.evil.example', host: 'backend'}, SITE)).toBe(false);
  expect(isOriginAllowed({origin: 'null', host: 'calls.example.com'}, SITE)).toBe(false);
  expect(isOriginAllowed({origin: 'file://', host: 'calls.example.com'}, SITE)).toBe(false);
  expect(isOriginAllowed({origin: '', host: 'calls.example.com'}, SITE)).toBe(false);
  expect(isOriginAllowed({origin: 'https://evil.example'}, '')).toBe(false);
  expect(isOriginAllowed({origin: 'https://evil.example', host: 'bad host'}, 'not a url')).toBe(false);
});
