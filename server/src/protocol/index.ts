// The calls wire protocol, shared by the server, the webapp and the tests (webapp and tests import it as
// `@calls/protocol`): names and prefixes, websocket actions and their schemas, events and their payloads,
// the client config, SDP packing and the data-channel codec. Pure TypeScript: no Node-only imports.
export * from './names';
export * from './actions';
export * from './action-schemas';
export * from './events';
export * from './client-config';
export * from './sdp';
export * from './dc-message';
export * from './connectivity';
