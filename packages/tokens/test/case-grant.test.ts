import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CASE_GRANT_AUDIENCE,
  type CaseGrantClaims,
  caseGrantClaimsProblem,
  DEFAULT_CASE_GRANT_ISSUER,
  isCaseGrantClaims,
  MAX_CASE_GRANT_LIFETIME_SECONDS,
} from '../src/index.js';

const IAT = Date.parse('2030-03-02T09:30:00Z') / 1000;

const claims = (over: Partial<Record<keyof CaseGrantClaims, unknown>> = {}): unknown => ({
  iss: DEFAULT_CASE_GRANT_ISSUER,
  aud: CASE_GRANT_AUDIENCE,
  sub: 'SubGrant00000001',
  case: 'C-2030-0042',
  dept: 'civil_affairs',
  types: ['birth_record'],
  iat: IAT,
  exp: IAT + 300,
  jti: 'grant-0123456789abcdef',
  ...over,
});

describe('case grant claims (the format workflow issues and records verifies)', () => {
  it('accepts the claims ADR 0013 gives a grant', () => {
    expect(caseGrantClaimsProblem(claims())).toBeUndefined();
    expect(isCaseGrantClaims(claims())).toBe(true);
  });

  it('accepts every lifetime from 1 s to the maximum, and no longer one', () => {
    fc.assert(
      fc.property(fc.integer({ min: -60, max: 2 * MAX_CASE_GRANT_LIFETIME_SECONDS }), (life) => {
        const problem = caseGrantClaimsProblem(claims({ exp: IAT + life }));
        const valid = life > 0 && life <= MAX_CASE_GRANT_LIFETIME_SECONDS;
        expect(problem === undefined).toBe(valid);
      }),
    );
  });

  it('names the claim that breaks the schema', () => {
    expect(caseGrantClaimsProblem(claims({ types: [] }))).toMatch(/^claim \/types/);
    expect(caseGrantClaimsProblem(claims({ case: 'has spaces' }))).toMatch(/^claim \/case/);
    expect(caseGrantClaimsProblem(claims({ dept: 'Civil' }))).toMatch(/^claim \/dept/);
    expect(caseGrantClaimsProblem(claims({ jti: 'short' }))).toMatch(/^claim \/jti/);
    expect(caseGrantClaimsProblem(claims({ types: ['a_b', 'a_b'] }))).toMatch(/^claim \/types/);
    expect(caseGrantClaimsProblem('not claims')).toBeDefined();
  });

  it('refuses any claims object missing a required claim', () => {
    const required = ['iss', 'aud', 'sub', 'case', 'dept', 'types', 'iat', 'exp', 'jti'];
    fc.assert(
      fc.property(fc.constantFrom(...required), (name) => {
        const { [name]: _dropped, ...rest } = claims() as Record<string, unknown>;
        expect(caseGrantClaimsProblem(rest)).toBeDefined();
      }),
    );
  });
});
