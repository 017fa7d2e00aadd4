// One RTC port for everyone: every session of a 10-user call uses the same server UDP port, the server
// opens no other UDP socket, and a client whose UDP is blocked connects over ICE-TCP on the one TCP port.
import type {Socket as UdpSocket} from 'node:dgram';
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {TestClient} from './support/client';
import {join, speak, speech, useRtcServer} from './support/harness';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

interface SelectedPair {
  local: {port: number; protocol: string};
  remote: {port: number; protocol: string};
}

/** "candidate:<foundation> <component> <protocol> <priority> <ip> <port> typ …" */
function parseCandidate(line: string | undefined): {port: number; protocol: string} {
  const parts = (line ?? '').replace(/^candidate:/, '').split(' ');
  return {protocol: (parts[2] ?? '').toLowerCase(), port: Number(parts[5])};
}

function selectedPair(client: TestClient): SelectedPair {
  const pair = client.pc.iceTransports[0].getSelectedCandidatePair();
  if (!pair) throw new Error('no selected candidate pair');
  return {local: parseCandidate(pair.local.candidate), remote: parseCandidate(pair.remote.candidate)};
}

async function serverPairLocalPort(server: EmbeddedRtcServer, sessionID: string): Promise<number | undefined> {
  return (await server.inspect(sessionID))?.selectedLocalPort;
}

function udpSocketPorts(): number[] {
  const handles = (process as unknown as {_getActiveHandles(): unknown[]})._getActiveHandles();
  return handles
    .filter(
      (h): h is UdpSocket =>
        !!h &&
        typeof h === 'object' &&
        (h as {type?: unknown}).type !== undefined &&
        ['udp4', 'udp6'].includes(String((h as {type?: unknown}).type)) &&
        typeof (h as UdpSocket).address === 'function',
    )
    .map((s) => {
      try {
        return s.address().port;
      } catch {
        return -1;
      }
    });
}

describe('shared RTC ports', () => {
  let server: EmbeddedRtcServer;
  const {clients, stops} = useRtcServer((s) => (server = s));

  it('puts all sessions of a 10-user call on one server UDP port', async () => {
    const callID = newId();
    for (let i = 0; i < 10; i++) clients.push(await join(server, {callID}));
    const speaker = clients[0];
    await speak(speaker, 'mic', speech, stops);
    await waitFor(
      () => clients.slice(1).every((c) => c.packetsFrom('voice', speaker.sessionID) > 5),
      20_000,
      'all 9 listeners receiving',
    );

    for (const c of clients) {
      const pair = selectedPair(c);
      expect(pair.remote.protocol).toBe('udp');
      expect(pair.remote.port).toBe(server.udpPort);
      expect(await serverPairLocalPort(server, c.sessionID)).toBe(server.udpPort);
    }
    // The only UDP socket that is not a client's is the server's one port.
    const clientPorts = new Set(clients.map((c) => selectedPair(c).local.port));
    const others = udpSocketPorts().filter((p) => !clientPorts.has(p));
    expect(others).toEqual([server.udpPort]);
  });

  it('connects a client with UDP blocked over ICE-TCP on the shared TCP port', async () => {
    const callID = newId();
    const tcpClient = await join(server, {callID, udpBlocked: true});
    const other = await join(server, {callID});
    clients.push(tcpClient, other);
    const pair = selectedPair(tcpClient);
    expect(pair.local.protocol).toBe('tcp');
    expect(pair.remote.protocol).toBe('tcp');
    expect(pair.remote.port).toBe(server.tcpPort);

    // Media flows over it both ways.
    await speak(other, 'mic', speech, stops);
    await speak(tcpClient, 'mic2', speech, stops);
    await waitFor(
      () =>
        tcpClient.packetsFrom('voice', other.sessionID) > 10 && other.packetsFrom('voice', tcpClient.sessionID) > 10,
      15_000,
      'voice over ICE-TCP',
    );
  });
});
