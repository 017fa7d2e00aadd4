// Micro-benchmark of the forwarding path: CPU per forwarded packet of the fast writer (with the native
// addon, and in JavaScript only) vs werift's RTCRtpSender, on real connected sessions (DTLS-SRTP, shared
// UDP port). One sender's Opus-sized packets fan out to N receivers; only the SFU's send side is timed
// (receivers' decryption runs on later event-loop turns and is not counted). Run: npx tsx server/src/rtc/fastpath/forwarder.bench.ts [receivers] [packets]
import {randomBytes} from 'node:crypto';
import {MediaStream, MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket} from 'werift';
import {newId} from '../../ids';
import {silentLogger} from '../../log';
import {mediaPacket, type ForwardingMode} from './forwarder';
import {configureRtcNative, type RtcNativeMode} from './native';
import {SfuServer} from '../server';
import type {RtcSignal} from '../types';
import {clearAgentStunServers} from '../werift/internals';

const RECEIVERS = Number(process.argv[2] ?? 20);
const PACKETS = Number(process.argv[3] ?? 2000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A minimal browser-like peer: offers first with calls-dc, answers server offers, trickles ICE. */
async function peer(server: SfuServer, callID: string): Promise<{id: string; pc: RTCPeerConnection}> {
  const id = newId();
  await server.initSession({
    sessionID: id,
    userID: newId(),
    callID,
    channelID: 'bench',
    av1Support: false,
    dcSignaling: false,
  });
  const pc = new RTCPeerConnection({
    iceServers: [],
    bundlePolicy: 'max-bundle',
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  server.on('signal', (sid: string, s: RtcSignal) => {
    if (sid !== id) return;
    void (async () => {
      if (s.type === 'ice')
        return void pc
          .addIceCandidate({
            ...s.data,
            sdpMid: s.data.sdpMid ?? undefined,
            sdpMLineIndex: s.data.sdpMLineIndex ?? undefined,
          })
          .catch(() => {});
      await pc.setRemoteDescription(s.data);
      if (s.data.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        server.send({sessionID: id, type: 'sdp', data: {type: 'answer', sdp: pc.localDescription!.sdp}});
      }
    })().catch(() => {});
  });
  pc.onIceCandidate.subscribe((c) => {
    if (c)
      server.send({
        sessionID: id,
        type: 'ice',
        data: {candidate: c.toJSON().candidate ?? '', sdpMid: '0', sdpMLineIndex: 0},
      });
  });
  const dc = pc.createDataChannel('calls-dc');
  clearAgentStunServers(pc);
  await pc.setLocalDescription(await pc.createOffer());
  server.send({sessionID: id, type: 'sdp', data: {type: 'offer', sdp: pc.localDescription!.sdp}});
  while (dc.readyState !== 'open') await sleep(20);
  return {id, pc};
}

async function bench(mode: ForwardingMode, native: RtcNativeMode): Promise<number> {
  configureRtcNative(native);
  const server = await SfuServer.create(
    {
      udpAddresses: ['127.0.0.1'],
      udpPort: 0,
      tcpAddresses: [],
      tcpPort: null,
      enableIPv6: false,
      iceHostOverride: '',
      iceHostPortOverride: null,
      iceServers: [],
      turnStaticAuthSecret: '',
      turnCredentialsExpirationMinutes: 0,
      serverSideTURN: false,
      enableVideo: false,
      enableAV1: false,
      enableSimulcast: false,
      forwarding: mode,
    },
    silentLogger(),
  );
  const callID = newId();
  const sender = await peer(server, callID);
  const receivers = [];
  for (let i = 0; i < RECEIVERS; i++) receivers.push(await peer(server, callID));
  const track = new MediaStreamTrack({kind: 'audio'});
  sender.pc.addTrack(track, new MediaStream({id: 'mic'}));
  await sender.pc.setLocalDescription(await sender.pc.createOffer());
  server.send({sessionID: sender.id, type: 'sdp', data: {type: 'offer', sdp: sender.pc.localDescription!.sdp}});
  // Wait until every receiver forwards: one warm-up packet reaches all downstreams.
  const published = () => server.session(sender.id)?.published[0];
  while (!published() || published()!.layers.get('l')!.downstreamCount < RECEIVERS) await sleep(50);
  await sleep(500);
  const up = published()!.layers.get('l')!;
  const payloads = Array.from({length: 64}, () => randomBytes(120));
  const packet = (i: number) =>
    mediaPacket(
      new RtpPacket(
        new RtpHeader({payloadType: 111, sequenceNumber: i & 0xffff, timestamp: i * 960, ssrc: 1}),
        payloads[i % 64],
      ),
    );
  for (let i = 0; i < 200; i++) up.forward(packet(i)); // warm-up (JIT, key binding)
  await sleep(200);
  const input = Array.from({length: PACKETS}, (_, i) => packet(200 + i));
  const start = process.cpuUsage();
  for (const p of input) up.forward(p);
  await Promise.resolve(); // the stock sender finishes its sends in microtasks
  await new Promise((r) => setImmediate(r));
  const used = process.cpuUsage(start);
  const us = (used.user + used.system) / (PACKETS * RECEIVERS);
  await Promise.all([sender, ...receivers].map((p) => p.pc.close()));
  await server.close();
  return us;
}

async function main(): Promise<void> {
  const runs: [string, ForwardingMode, RtcNativeMode][] = [
    ['stock', 'stock', 'off'],
    ['fast', 'fast', 'required'],
    ['fast, JS only', 'fast', 'off'],
  ];
  const rows: [string, number][] = [];
  for (const [label, mode, native] of [...runs, ...runs]) rows.push([label, await bench(mode, native)]);
  console.log(
    `forwarding ${PACKETS} Opus-sized packets to ${RECEIVERS} receivers (µs CPU per forwarded packet, send side)`,
  );
  for (const [label, us] of rows) console.log(`  ${label.padEnd(13)} ${us.toFixed(1)}`);
  process.exit(0);
}

void main();
