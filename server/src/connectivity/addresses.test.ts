import {addressKind, judgeAddress, parseAdvertised} from './addresses';

describe('advertised address verdicts', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['192.168.1.20', 'private'],
    ['172.16.0.5', 'private'],
    ['172.17.0.2', 'container'],
    ['172.31.255.1', 'container'],
    ['169.254.10.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fd00::5', 'private'],
    ['100.64.1.1', 'shared'],
    ['192.0.2.10', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['0.0.0.0', 'unspecified'],
    ['8.8.8.8', 'public'],
    ['2a00:1450::1', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  test('a container address is an error without ICEHostOverride and a warning with it', () => {
    expect(judgeAddress('172.17.0.2', false)).toMatchObject({
      level: 'error',
      advice: expect.stringContaining('ICEHostOverride'),
    });
    expect(judgeAddress('172.17.0.2', true).level).toBe('warning');
    expect(judgeAddress('8.8.8.8', false).level).toBe('ok');
  });

  test('parses the SFU candidate descriptions, IPv6 included', () => {
    expect(parseAdvertised(['udp 1.2.3.4:8443', 'srflx udp 5.6.7.8:8443', 'tcp [2a00::1]:8443', 'junk'])).toEqual([
      {type: 'host', transport: 'udp', address: '1.2.3.4', port: 8443},
      {type: 'srflx', transport: 'udp', address: '5.6.7.8', port: 8443},
      {type: 'host', transport: 'tcp', address: '2a00::1', port: 8443},
    ]);
  });
});
