import { ConfigError } from '@tongban/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const KEY = Buffer.alloc(32, 7).toString('base64url');
const WEBAUTHN = { WEBAUTHN_RP_ID: 'gov.example', WEBAUTHN_ORIGINS: 'https://portal.gov.example' };

describe('identity loadConfig', () => {
  it('refuses to start in production without a master key, naming the variable', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/tongban' }, '/srv'),
    ).toThrow(/IDENTITY_MASTER_KEY: required in production/);
  });

  it('starts in production with a master key and reads the key as bytes', () => {
    const config = loadConfig(
      { NODE_ENV: 'production', IDENTITY_MASTER_KEY: KEY, ...WEBAUTHN },
      '/srv',
    );
    expect(config.masterKey?.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('refuses a master key that does not decode to 32 bytes', () => {
    expect(() => loadConfig({ IDENTITY_MASTER_KEY: '*'.repeat(50) }, '/srv')).toThrow(
      /at least 32 bytes/,
    );
    expect(() => loadConfig({ IDENTITY_MASTER_KEY: 'short' }, '/srv')).toThrow(ConfigError);
  });

  it('takes a workflow client secret of 32 characters or more, and none by default', () => {
    expect(loadConfig({}, '/srv').workflowClientSecret).toBeUndefined();
    const secret = 'w'.repeat(32);
    expect(loadConfig({ WORKFLOW_CLIENT_SECRET: secret }, '/srv').workflowClientSecret).toBe(
      secret,
    );
    expect(() => loadConfig({ WORKFLOW_CLIENT_SECRET: 'w'.repeat(31) }, '/srv')).toThrow(
      /WORKFLOW_CLIENT_SECRET/,
    );
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud' }, '/srv');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(
        /PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/,
      );
    }
  });

  it('uses embedded PostgreSQL under the data folder unless a database URL is set', () => {
    expect(loadConfig({}, '/srv').database).toEqual({
      kind: 'pglite',
      dataDir: '/srv/.data/identity',
    });
    expect(
      loadConfig(
        { IDENTITY_DATABASE_URL: 'postgres://a/b', DATABASE_URL: 'postgres://c/d' },
        '/srv',
      ).database,
    ).toEqual({
      kind: 'postgres',
      url: 'postgres://a/b',
    });
  });

  it('strips trailing slashes from public URLs and refuses non-URLs', () => {
    expect(
      loadConfig(
        { IDENTITY_PUBLIC_URLS: 'https://id.city.gov/, https://city.gov/api/identity' },
        '/srv',
      ).publicUrls,
    ).toEqual(['https://id.city.gov', 'https://city.gov/api/identity']);
    expect(() => loadConfig({ IDENTITY_PUBLIC_URLS: 'id.city.gov' }, '/srv')).toThrow(ConfigError);
  });

  it('refuses to start in production without the WebAuthn relying party, naming both variables', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', IDENTITY_MASTER_KEY: KEY }, '/srv')).toThrow(
      /WEBAUTHN_RP_ID: required in production[\s\S]*WEBAUTHN_ORIGINS: required in production/,
    );
  });

  it('defaults the WebAuthn relying party to the demo portal outside production', () => {
    expect(loadConfig({}, '/srv').webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'Tongban',
      origins: ['http://localhost:3000'],
    });
  });

  it('refuses WebAuthn origins off the RP id, with a path, or plain http in production', () => {
    const prod = {
      NODE_ENV: 'production',
      IDENTITY_MASTER_KEY: KEY,
      WEBAUTHN_RP_ID: 'gov.example',
    };
    expect(() =>
      loadConfig({ ...prod, WEBAUTHN_ORIGINS: 'https://gov.example.evil' }, '/srv'),
    ).toThrow(/not on the relying party gov\.example/);
    expect(() =>
      loadConfig({ ...prod, WEBAUTHN_ORIGINS: 'https://gov.example/portal' }, '/srv'),
    ).toThrow(/not a bare origin/);
    expect(() =>
      loadConfig({ ...prod, WEBAUTHN_ORIGINS: 'http://portal.gov.example' }, '/srv'),
    ).toThrow(/must be https in production/);
    expect(
      loadConfig(
        { ...prod, WEBAUTHN_ORIGINS: 'https://portal.gov.example, https://gov.example' },
        '/srv',
      ).webauthn.origins,
    ).toEqual(['https://portal.gov.example', 'https://gov.example']);
  });
});
