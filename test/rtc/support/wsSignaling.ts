// A SignalingPort over the real calls websocket: the TestClient's sdp/ice/actions become calls actions
// (SDP as msgpack binary zlib JSON, ICE as a JSON string), and `signal` events addressed to the session
// come back parsed, as the webapp does.
import type {WsTestClient} from '../../support/calls-client';
import type {RtcSignal} from '../../../server/src/rtc/types';
import type {SignalingPort} from './client';

export function wsSignaling(ws: WsTestClient): SignalingPort {
  return {
    send: (msg) => {
      switch (msg.type) {
        case 'sdp':
          ws.sendSDP(msg.data);
          break;
        case 'ice':
          ws.send('ice', {data: JSON.stringify(msg.data)});
          break;
        case 'screen_on':
          ws.send('screen_on', {data: JSON.stringify(msg.data)});
          break;
        case 'video_on':
          ws.send('video_on', {data: JSON.stringify(msg.data)});
          break;
        default:
          ws.send(msg.type);
      }
    },
    onSignal: (sessionID, fn) => {
      let next = 0;
      let stopped = false;
      const poll = () => {
        if (stopped) return;
        for (; next < ws.events.length; next++) {
          const e = ws.events[next];
          if (!e.event.endsWith('_signal') || e.data.connID !== sessionID) continue;
          const payload = JSON.parse(String(e.data.data)) as {type: string; sdp?: string; candidate?: RtcSignal['data']};
          if (payload.type === 'candidate') fn({type: 'ice', data: payload.candidate as Extract<RtcSignal, {type: 'ice'}>['data']});
          else fn({type: 'sdp', data: payload as Extract<RtcSignal, {type: 'sdp'}>['data']});
        }
        timer = setTimeout(poll, 10);
      };
      let timer = setTimeout(poll, 0);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
