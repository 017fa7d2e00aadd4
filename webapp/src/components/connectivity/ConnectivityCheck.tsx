// "Check connectivity": runs the browser check (UDP, TCP, TURN, and the path a call takes), shows each result and
// the verdict in plain words, and posts the result for the admin page. Opened from the call widget's menu, and
// shown inside the call error modal when a join fails.
import React, {useCallback, useEffect, useState, useSyncExternalStore} from 'react';
import {useIntl} from 'react-intl';

import {checkVerdict, type CheckCandidate, type CheckVerdict, type ClientCheckResult} from '@calls/protocol';

import {iceServers} from '../../call_flow';
import {runConnectivityCheck} from '../../client/connectivity_check';
import {Rest} from '../../client/rest';
import {useCallsStore} from '../common/hooks';
import {Modal} from '../modals/Modal';

type State = {phase: 'idle'} | {phase: 'running'} | {phase: 'done'; result: ClientCheckResult; verdict: CheckVerdict};

export function describeCandidate(c: CheckCandidate | undefined): string {
  return c
    ? `${c.protocol.toUpperCase()} ${c.type} ${c.address.includes(':') ? `[${c.address}]` : c.address}:${c.port}`
    : '?';
}

/** Runs the check; `start()` may be called again to re-run it. */
export function useConnectivityCheck(): {state: State; start: () => void} {
  const store = useCallsStore();
  const [state, setState] = useState<State>({phase: 'idle'});
  const start = useCallback(() => {
    setState({phase: 'running'});
    (async () => {
      const result = await runConnectivityCheck({
        openSession: (offer) => Rest.connectivityCheck(offer),
        iceServers: await iceServers(store),
      });
      setState({phase: 'done', result, verdict: checkVerdict(result)});
      await Rest.postConnectivityResult({...result, user_agent: navigator.userAgent.slice(0, 300)}).catch(
        () => undefined,
      );
    })().catch((err) => {
      const failed = {ok: false, tried: true, error: String((err as Error).message).slice(0, 200)};
      const result: ClientCheckResult = {
        udp: failed,
        tcp: failed,
        relay: failed,
        auto: failed,
        udp_port: null,
        tcp_port: null,
        turn_urls: [],
      };
      setState({phase: 'done', result, verdict: checkVerdict(result)});
    });
  }, [store]);
  return {state, start};
}

export function ConnectivityCheckBody({autoStart = false}: {autoStart?: boolean}) {
  const {formatMessage} = useIntl();
  const {state, start} = useConnectivityCheck();
  useEffect(() => {
    if (autoStart) {
      start();
    }
  }, [autoStart, start]);
  if (state.phase === 'idle') {
    return (
      <button className="calls-btn" data-testid="connectivity-start" onClick={start}>
        {formatMessage({id: 'calls.connectivity.start', defaultMessage: 'Check connectivity'})}
      </button>
    );
  }
  if (state.phase === 'running') {
    return (
      <p role="status" data-testid="connectivity-running">
        {formatMessage({
          id: 'calls.connectivity.running',
          defaultMessage: 'Checking how your browser reaches the call server (UDP, TCP, TURN)…',
        })}
      </p>
    );
  }
  const {result, verdict} = state;
  const row = (name: string, port: number | null, key: 'udp' | 'tcp' | 'relay' | 'auto') => {
    const r = result[key];
    let text: string;
    if (!r.tried) {
      text = formatMessage(
        {id: 'calls.connectivity.not_tried', defaultMessage: 'not tried ({reason})'},
        {reason: r.error},
      );
    } else if (r.ok) {
      const rtt = r.rtt_ms === undefined ? '?' : `${r.rtt_ms} ms`;
      const loss = r.loss === undefined ? '?' : `${Math.round(r.loss * 100)} %`;
      text = formatMessage(
        {id: 'calls.connectivity.reachable', defaultMessage: 'reachable — round trip {rtt}, loss {loss}, via {pair}'},
        {rtt, loss, pair: `${describeCandidate(r.local)} ↔ ${describeCandidate(r.remote)}`},
      );
    } else {
      text = formatMessage({id: 'calls.connectivity.blocked', defaultMessage: 'blocked ({reason})'}, {reason: r.error});
    }
    return (
      <tr data-testid={`connectivity-${key}`} data-ok={r.ok ? 'true' : 'false'}>
        <th scope="row">
          {name}
          {port ? ` (${port})` : ''}
        </th>
        <td>{text}</td>
      </tr>
    );
  };
  return (
    <div className="calls-connectivity">
      <p
        role="status"
        data-testid="connectivity-verdict"
        data-code={verdict.code}
        className={`calls-connectivity-verdict calls-connectivity-verdict--${verdict.code}`}
      >
        {verdict.text}
      </p>
      {verdict.notes.map((n) => (
        <p key={n} className="calls-connectivity-note">
          {n}
        </p>
      ))}
      <table className="calls-connectivity-table">
        <tbody>
          {row('UDP', result.udp_port, 'udp')}
          {row('TCP', result.tcp_port, 'tcp')}
          {row(formatMessage({id: 'calls.connectivity.turn', defaultMessage: 'TURN'}), null, 'relay')}
          {row(formatMessage({id: 'calls.connectivity.call_path', defaultMessage: 'A call'}), null, 'auto')}
        </tbody>
      </table>
      <button className="calls-btn" data-testid="connectivity-again" onClick={start}>
        {formatMessage({id: 'calls.connectivity.again', defaultMessage: 'Check again'})}
      </button>
    </div>
  );
}

// Which surface asked for the panel; the modal renders while it is open.
let open = false;
const listeners = new Set<() => void>();
const setOpen = (v: boolean) => {
  open = v;
  listeners.forEach((l) => l());
};

export function openConnectivityCheck(): void {
  setOpen(true);
}

/** A global component: the modal, while open. */
export function ConnectivityCheckModal() {
  const {formatMessage} = useIntl();
  const isOpen = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => open,
  );
  const close = useCallback(() => setOpen(false), []);
  if (!isOpen) {
    return null;
  }
  return (
    <Modal
      id="calls-connectivity-modal"
      title={formatMessage({id: 'calls.connectivity.title', defaultMessage: 'Connectivity check'})}
      onClose={close}
    >
      <ConnectivityCheckBody autoStart={true} />
    </Modal>
  );
}
