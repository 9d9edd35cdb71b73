import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

/** Every operation that needs a device proof, as a client writer reads it from the document. */
const PROOF_ROUTES = [
  ['post', '/v1/devices/activate', 'Activation'],
  ['post', '/v1/auth/device-token', 'Sign-in'],
  ['post', '/v1/presentations', 'With a resident token'],
  ['get', '/v1/me/verifications', 'With a resident token'],
  ['get', '/v1/me/devices', 'With a resident token'],
  ['post', '/v1/me/devices/{deviceId}/revoke', 'With a resident token'],
] as const;

interface Parameter {
  in: string;
  name: string;
  description?: string;
}
interface Operation {
  parameters?: Parameter[];
  responses: Record<string, { 'x-codes'?: string[] }>;
}

describe('the OpenAPI document on DPoP', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    t = await startTestApp();
    paths = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json().paths;
  });
  afterAll(() => t.close());

  it.each(PROOF_ROUTES)('describes the DPoP header of %s %s', (method, path, use) => {
    const operation = paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    const header = operation?.parameters?.find((p) => p.in === 'header' && p.name === 'dpop');
    const text = header?.description ?? '';
    for (const claim of ['`htm`', '`htu`', '`iat`', '`jti`', '`jwk`', 'dpop+jwt']) {
      expect(text).toContain(claim);
    }
    expect(text).toContain('IDENTITY_PUBLIC_URLS');
    expect(text).toContain(use);
    if (use === 'With a resident token') expect(text).toContain('`ath`');
    expect(text).toContain('invalid_dpop_proof');
    expect(operation?.responses['401']?.['x-codes']).toContain('invalid_dpop_proof');
  });

  // A resident route added later cannot forget to document its proof: the list comes from the
  // app's own route table, not from this file.
  it('documents the DPoP header on every route that takes a resident token', () => {
    const undocumented = t.app.residentRoutes.filter((route) => {
      const [method = '', url = ''] = route.split(' ');
      const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = paths[path]?.[method.toLowerCase()];
      const header = operation?.parameters?.find((p) => p.in === 'header' && p.name === 'dpop');
      return !header?.description?.includes('`ath`');
    });
    expect(undocumented).toEqual([]);
  });
});
