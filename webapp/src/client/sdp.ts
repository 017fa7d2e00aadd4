// SDP travels zlib-compressed (the Mattermost websocket limits client frames to 8 KiB): JSON of the session
// description, deflated with a zlib header, as the Go server's compress/zlib expects.

import {zlibSync, unzlibSync, strToU8, strFromU8} from 'fflate';

export function compressSDP(sdp: RTCSessionDescriptionInit): Uint8Array {
    return zlibSync(strToU8(JSON.stringify({type: sdp.type, sdp: sdp.sdp})));
}

export function decompressSDP(data: Uint8Array): RTCSessionDescriptionInit {
    return JSON.parse(strFromU8(unzlibSync(data)));
}
