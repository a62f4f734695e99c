import { describe, expect, it } from 'vitest';
import { blockedReason } from '../../src/adapters/input/guarded-fetch/index.js';

describe('address policy of the guarded fetcher', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['169.254.169.254', 'cloud metadata'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'cloud metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4Mapped form of a loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped form of a loopback'],
    ['::ffff:10.0.0.1', 'ipv4Mapped form of a private'],
    ['::ffff:169.254.169.254', 'ipv4Mapped form of a cloud metadata'],
    ['64:ff9b::7f00:1', 'rfc6052 form of a loopback'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052 form of a cloud metadata'],
    ['64:ff9b::c0a8:101', 'rfc6052 form of a private'],
    ['2002:7f00:1::', '6to4 form of a loopback'],
    ['::7f00:1', 'ipv4Compatible form of a loopback'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8'])(
    'accepts the public address %s',
    (address) => {
      expect(blockedReason(address)).toBeNull();
    },
  );
});
