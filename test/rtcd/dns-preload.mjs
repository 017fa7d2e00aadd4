// Loaded into a node process under test (NODE_OPTIONS=--import …): its DNS lookups of names (dns.resolve*,
// which the rtcd client uses) go to the test's DNS server on loopback, so the node finds the rtcd hosts by
// name as in production. dns.lookup (getaddrinfo: localhost, the database) is left alone.
import dns from 'node:dns';

const server = process.env.CALLS_TEST_DNS_SERVER;
if (server) {
  dns.setServers([server]);
  dns.promises.setServers([server]);
}
