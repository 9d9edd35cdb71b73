import { describe, expect, it } from 'vitest';
import { isInternalAddress } from '../src/address-policy.js';

describe('isInternalAddress', () => {
  it('refuses loopback, link-local, private, CGNAT, unspecified and mapped forms', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.0.10',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.169.254',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a00:1',
      'not-an-address',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
  });

  it('lets public addresses through', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '::ffff:93.184.216.34',
    ]) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });
});
