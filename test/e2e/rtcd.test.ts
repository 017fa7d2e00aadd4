// Browser end-to-end through rtcd: the node runs no SFU (rtcd mode, RTCDServiceURL), the call's media runs
// on an rtcd service on 127.0.0.2 found through a DNS server on loopback. Two users in Debian Chromium
// with fake microphones join one call and each receives the other's audio from the rtcd host.
import type {Browser} from 'playwright-core';
import {startTestServer, type TestServer} from '../support/server';
import {rtcdModeOptions, startRtcdFleet, type RtcdFleet} from '../rtcd/support';
import {
  closeAll,
  ensureWebappBuilt,
  launchBrowser,
  loginPage,
  type UserPage,
  startCall,
  joinCall,
  talkBothWays,
} from './support';

jest.setTimeout(90_000);

let browser: Browser;
let fleet: RtcdFleet;
let server: TestServer;
let pages: UserPage[] = [];

beforeAll(async () => {
  ensureWebappBuilt();
  fleet = await startRtcdFleet('rtcd.e2e.test', ['127.0.0.2']);
  server = await startTestServer(rtcdModeOptions(fleet));
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeAll(pages);
  await browser?.close();
  await server?.stop();
  await fleet?.close();
});

test('two browsers in a call on a node in rtcd mode hear each other through the rtcd host', async () => {
  pages = await Promise.all(['alice', 'bob'].map((n) => loginPage(browser, server.url, n)));
  const [a, b] = pages;
  await startCall(a);
  await joinCall(b);
  await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');

  const [call] = await server.app.store.calls.listActiveCalls();
  expect(call.props.rtcd_host).toBe('127.0.0.2');
  expect(fleet.services.get('127.0.0.2')!.sessions.size).toBe(2);

  await talkBothWays(a, b);
});
