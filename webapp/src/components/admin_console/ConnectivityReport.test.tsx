import {screen} from '@testing-library/react';
import React from 'react';

import {checkVerdict, type ClientCheckResult} from '@calls/protocol';

import {ConnectivityReport, type ConnectivityReportData} from './ConnectivityReport';
import {parseCandidate} from '../../client/connectivity_check';
import {mockFetch} from '../../testing/fetch';
import {renderWithStore} from '../../testing/render';
import {makeStore} from '../../testing/store';

const result: ClientCheckResult = {
  udp: {ok: false, tried: true, error: 'no connection within 8 s'},
  tcp: {ok: true, tried: true, rtt_ms: 12},
  relay: {ok: false, tried: false},
  auto: {ok: true, tried: true},
  udp_port: 8443,
  tcp_port: 8443,
  turn_urls: [],
};

const report: ConnectivityReportData = {
  generated_at: 0,
  rtc: {
    available: true,
    udp_port: 8443,
    tcp_port: 8443,
    ice_host_override: '',
    ice_host_port_override: null,
    advertised: [
      {
        type: 'host',
        transport: 'udp',
        address: '172.17.0.2',
        port: 8443,
        kind: 'container',
        level: 'error',
        advice: 'Looks like a container (Docker) address',
      },
    ],
    notes: ['No advertised address is public'],
  },
  stun: null,
  turn: [{url: 'turn:turn.example.com:3478', verdict: 'credentials_refused', elapsedMs: 4, detail: 'refused (401)'}],
  client_checks: [{username: 'alice', at: 0, result, verdict: checkVerdict(result)}],
};

describe('System Console connectivity section', () => {
  test('shows the judged addresses, the TURN verdict and the users’ checks from GET /connectivity', async () => {
    const f = mockFetch(() => ({status: 200, body: report}));
    try {
      renderWithStore(makeStore(), <ConnectivityReport />);
      expect(await screen.findByText('UDP host 172.17.0.2:8443')).toBeTruthy();
      expect(f.calls[0].url).toMatch(/\/plugins\/com\.mattermost\.calls\/connectivity$/);
      const row = screen.getByTestId('connectivity-advertised').querySelector('tbody tr');
      expect(row?.getAttribute('data-level')).toBe('error');
      expect(row?.querySelector('.calls-conn-badge--error')?.textContent).toBe('Problem');
      expect(screen.getByTestId('connectivity-turn').querySelector('tr')?.getAttribute('data-verdict')).toBe(
        'credentials_refused',
      );
      expect(screen.getByTestId('connectivity-clients').textContent).toContain(
        'UDP to port 8443 is blocked on your network; the call uses TCP',
      );
    } finally {
      f.restore();
    }
  });

  test('a refusal (not an admin) is shown, not thrown', async () => {
    const f = mockFetch(() => ({status: 403, body: {id: 'api.context.permissions.app_error', message: 'Forbidden'}}));
    try {
      renderWithStore(makeStore(), <ConnectivityReport />);
      expect((await screen.findByRole('alert')).textContent).toBe('Forbidden');
    } finally {
      f.restore();
    }
  });
});

describe('candidate lines', () => {
  test('protocol, address, port and type of an ICE candidate', () => {
    expect(parseCandidate('a=candidate:1 1 tcp 1518280447 127.0.0.1 8443 typ host tcptype passive')).toEqual({
      protocol: 'tcp',
      address: '127.0.0.1',
      port: 8443,
      type: 'host',
    });
    expect(parseCandidate('candidate:x 1 udp 1 203.0.113.7 3478 typ relay raddr 0.0.0.0 rport 0')?.type).toBe('relay');
    expect(parseCandidate('garbage')).toBeNull();
  });
});
