// System Console › Calls › Connectivity check: GET /connectivity rendered for people — the advertised ICE
// addresses and what is wrong with them, STUN's view of the public address, the RTC ports, whether each TURN
// server accepts Calls' credentials, and the last checks users ran from their browsers.
import React, {useCallback, useEffect, useState} from 'react';
import {useIntl} from 'react-intl';

import type {ConnectivityLevel, ConnectivityReportData, TransportCheck} from '@calls/protocol';

export type {ConnectivityReportData};

import {Rest} from '../../client/rest';

type Level = ConnectivityLevel;

const LEVEL_TEXT: Record<Level, string> = {ok: 'OK', warning: 'Warning', error: 'Problem'};

function Badge({level}: {level: Level}) {
  return <span className={`calls-conn-badge calls-conn-badge--${level}`}>{LEVEL_TEXT[level]}</span>;
}

/** One of the report's tables: its column headings, if any, over the rows given. */
function ReportTable({testID, headings, children}: {testID: string; headings?: string[]; children: React.ReactNode}) {
  return (
    <table className="calls-conn-table" data-testid={testID}>
      {headings && (
        <thead>
          <tr>
            {headings.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>{children}</tbody>
    </table>
  );
}

function transportCell(t: TransportCheck): string {
  if (!t.tried) {
    return '—';
  }
  if (!t.ok) {
    return 'blocked';
  }
  return t.rtt_ms === undefined ? 'ok' : `ok, ${t.rtt_ms} ms`;
}

export function ConnectivityReport() {
  const {formatMessage} = useIntl();
  const [data, setData] = useState<ConnectivityReportData | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const load = useCallback(() => {
    setLoading(true);
    Rest.getConnectivityReport<ConnectivityReportData>()
      .then((d) => {
        setData(d);
        setError('');
      })
      .catch((err) => setError((err as Error).message))
      .finally(() => setLoading(false));
  }, []);
  useEffect(load, [load]);

  return (
    <div className="calls-conn-report" data-testid="connectivity-report">
      <h3>{formatMessage({id: 'calls.admin.connectivity.title', defaultMessage: 'Connectivity check'})}</h3>
      <button className="calls-btn" onClick={load} disabled={loading} data-testid="connectivity-refresh">
        {loading
          ? formatMessage({id: 'calls.admin.connectivity.checking', defaultMessage: 'Checking…'})
          : formatMessage({id: 'calls.admin.connectivity.refresh', defaultMessage: 'Check again'})}
      </button>
      {error && (
        <div className="sa-error" role="alert">
          {error}
        </div>
      )}
      {data && <ReportBody data={data} />}
    </div>
  );
}

function ReportBody({data}: {data: ConnectivityReportData}) {
  const {formatMessage} = useIntl();
  const {rtc, stun, turn} = data;
  return (
    <>
      {rtc.notes.length > 0 && (
        <ul className="calls-conn-notes" data-testid="connectivity-notes">
          {rtc.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <h4>{formatMessage({id: 'calls.admin.connectivity.ports', defaultMessage: 'RTC ports'})}</h4>
      <p data-testid="connectivity-ports">
        {rtc.available
          ? `UDP ${rtc.udp_port ?? '—'} · TCP ${rtc.tcp_port ?? 'off'} · ICEHostOverride ${rtc.ice_host_override || '(not set)'}${
              rtc.ice_host_port_override ? ` · ICEHostPortOverride ${rtc.ice_host_port_override}` : ''
            }`
          : formatMessage({
              id: 'calls.admin.connectivity.no_rtc',
              defaultMessage: 'No embedded media server on this node.',
            })}
      </p>
      <h4>
        {formatMessage({id: 'calls.admin.connectivity.advertised', defaultMessage: 'Addresses advertised to browsers'})}
      </h4>
      <ReportTable testID="connectivity-advertised" headings={['Candidate', 'Kind', 'Verdict']}>
        {rtc.advertised.map((c) => (
          <tr key={`${c.type} ${c.transport} ${c.address} ${c.port}`} data-level={c.level}>
            <td>{`${c.transport.toUpperCase()} ${c.type} ${c.address}:${c.port}`}</td>
            <td>{c.kind.replace('_', ' ')}</td>
            <td>
              <Badge level={c.level} /> {c.advice}
            </td>
          </tr>
        ))}
      </ReportTable>
      <h4>{'STUN'}</h4>
      <p data-testid="connectivity-stun">
        {stun
          ? `${stun.server}: ${stun.public_address ? `this server is seen as ${stun.public_address}` : stun.detail}${
              stun.matches_override === false ? ' — differs from ICEHostOverride' : ''
            }${stun.matches_override === true ? ' — matches ICEHostOverride' : ''}`
          : formatMessage({
              id: 'calls.admin.connectivity.no_stun',
              defaultMessage: 'No STUN server configured: the public address is not discovered.',
            })}
      </p>
      <h4>{'TURN'}</h4>
      {turn.length === 0 ? (
        <p>{formatMessage({id: 'calls.admin.connectivity.no_turn', defaultMessage: 'No TURN server configured.'})}</p>
      ) : (
        <ReportTable testID="connectivity-turn">
          {turn.map((t) => (
            <tr key={t.url} data-verdict={t.verdict}>
              <td>{t.url}</td>
              <td>
                <Badge level={t.verdict === 'ok' ? 'ok' : 'error'} /> {t.detail}
                {t.relayed ? ` (relay ${t.relayed}, ${t.elapsedMs} ms)` : ''}
              </td>
            </tr>
          ))}
        </ReportTable>
      )}
      <h4>{formatMessage({id: 'calls.admin.connectivity.clients', defaultMessage: 'Last checks from browsers'})}</h4>
      {data.client_checks.length === 0 ? (
        <p>
          {formatMessage({
            id: 'calls.admin.connectivity.no_clients',
            defaultMessage: 'None yet: users run them from the call widget’s menu, and they run when a join fails.',
          })}
        </p>
      ) : (
        <ReportTable testID="connectivity-clients" headings={['User', 'When', 'UDP', 'TCP', 'TURN', 'Verdict']}>
          {data.client_checks.map((c) => (
            <tr key={`${c.username} ${c.at}`} data-code={c.verdict.code}>
              <td>{c.username}</td>
              <td>{new Date(c.at).toLocaleString()}</td>
              <td>{transportCell(c.result.udp)}</td>
              <td>{transportCell(c.result.tcp)}</td>
              <td>{transportCell(c.result.relay)}</td>
              <td>{c.verdict.text}</td>
            </tr>
          ))}
        </ReportTable>
      )}
    </>
  );
}
