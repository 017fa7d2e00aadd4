// What the server advertises: ICEHostOverride (IP, hostname) and ICEHostPortOverride in the candidates
// clients receive, STUN discovery of the public address only when no override is set, no public
// default STUN server, and server-side TURN credentials per session.
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {TestClient} from './support/client';
import {join, startServer} from './support/harness';
import {startFakeStun, type FakeStunServer} from './support/stunServer';
import {waitFor} from '../support/wait';

jest.setTimeout(30_000);

function candidateAddress(line: string): {protocol: string; address: string; port: number; type: string} {
  const p = line.replace(/^candidate:/, '').split(' ');
  return {protocol: p[2].toLowerCase(), address: p[4], port: Number(p[5]), type: p[7]};
}

describe('advertised addresses', () => {
  const servers: EmbeddedRtcServer[] = [];
  const clients: TestClient[] = [];
  const stuns: FakeStunServer[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(stuns.map((s) => s.close()));
  });

  async function candidatesSeenBy(
    server: EmbeddedRtcServer,
  ): Promise<{protocol: string; address: string; port: number; type: string}[]> {
    // Connected before anything closes: a DTLS handshake cut short leaves werift retransmitting for 30 s.
    const client = await join(server, {callID: newId()});
    clients.push(client);
    const fromSdp = client.pc
      .remoteDescription!.sdp.split('\r\n')
      .filter((l) => l.startsWith('a=candidate:'))
      .map((l) => l.slice(2));
    return [...fromSdp, ...client.serverCandidates].map(candidateAddress);
  }

  it('advertises ICEHostOverride and ICEHostPortOverride while binding the local address', async () => {
    const server = await startServer({iceHostOverride: '203.0.113.7', iceHostPortOverride: 3478});
    servers.push(server);
    const cands = await candidatesSeenBy(server);
    const udp = cands.filter((c) => c.protocol === 'udp');
    expect(udp.length).toBeGreaterThan(0);
    for (const c of udp) expect(c).toEqual({protocol: 'udp', address: '203.0.113.7', port: 3478, type: 'host'});
    for (const c of cands.filter((x) => x.protocol === 'tcp'))
      expect(c).toEqual({protocol: 'tcp', address: '203.0.113.7', port: server.tcpPort, type: 'host'});
    expect(server.udpPort).not.toBe(3478);
  });

  it('resolves a hostname override, and refuses to start on one that does not resolve', async () => {
    const server = await startServer({iceHostOverride: 'localhost', iceHostPortOverride: 4000});
    servers.push(server);
    expect(server.advertisedCandidates).toContain('udp 127.0.0.1:4000');
    await expect(startServer({iceHostOverride: 'no-such-host.invalid'})).rejects.toThrow(/no-such-host\.invalid/);
  });

  it('advertises the public address a STUN server reports when no override is set', async () => {
    const stun = await startFakeStun('198.51.100.9', 40000);
    stuns.push(stun);
    const server = await startServer({iceServers: [{urls: [`stun:127.0.0.1:${stun.port}`]}]});
    servers.push(server);
    expect(stun.requests).toBeGreaterThan(0);
    const cands = await candidatesSeenBy(server);
    const udp = cands.filter((c) => c.protocol === 'udp').map((c) => `${c.type} ${c.address}:${c.port}`);
    // The public address as a server-reflexive candidate, beside the host one for clients on the LAN.
    expect(udp).toContain(`srflx 198.51.100.9:${server.udpPort}`);
    expect(udp).toContain(`host 127.0.0.1:${server.udpPort}`);
  });

  it('does not ask the STUN server when an override is set, and sessions never get a default public STUN server', async () => {
    const stun = await startFakeStun('198.51.100.9', 40000);
    stuns.push(stun);
    const server = await startServer({
      iceHostOverride: '203.0.113.8',
      iceServers: [{urls: [`stun:127.0.0.1:${stun.port}`]}],
    });
    servers.push(server);
    const client = await join(server, {callID: newId()});
    clients.push(client);
    expect(stun.requests).toBe(0);
    expect((await server.inspect(client.sessionID))?.iceServers).toEqual([]);
    await waitFor(() => !!client.pc.remoteDescription, 5000, 'answer');
    expect((await server.inspect(client.sessionID))?.agentStunServer).toBeUndefined();
  });

  it('gives each session its own TURN credentials only with ServerSideTURN', async () => {
    const turn = {urls: ['turn:127.0.0.1:3479?transport=udp']};
    const cfg = () => ({
      sessionID: newId(),
      userID: newId(),
      callID: newId(),
      channelID: newId(),
      av1Support: false,
      dcSignaling: false,
    });
    const withTURN = async (serverSideTURN: boolean) => {
      const server = await startServer({
        iceServers: [turn],
        turnStaticAuthSecret: 's3cret',
        serverSideTURN,
        timeouts: {stunDiscoveryMs: 200},
      });
      servers.push(server);
      return server;
    };
    const off = await withTURN(false);
    const s1 = cfg();
    await off.initSession(s1);
    expect((await off.inspect(s1.sessionID))?.iceServers).toEqual([]);

    const on = await withTURN(true);
    const s2 = cfg();
    const s3 = cfg();
    await on.initSession(s2);
    await on.initSession(s3);
    const ice2 = (await on.inspect(s2.sessionID))!.iceServers;
    const ice3 = (await on.inspect(s3.sessionID))!.iceServers;
    expect(ice2).toHaveLength(1);
    expect(ice2[0].urls).toEqual(turn.urls);
    expect(ice2[0].username).toMatch(new RegExp(`^\\d+:${s2.sessionID}$`));
    expect(ice2[0].credential).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(ice3[0].username).toMatch(new RegExp(`:${s3.sessionID}$`));
    expect(ice3[0].credential).not.toBe(ice2[0].credential);
  });
});
