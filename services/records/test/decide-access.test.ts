import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccessQuestion,
  decideAccess,
  releaseFields,
} from '../src/domain/access/decide-access.js';
import {
  formatReadPurpose,
  parseReadPurpose,
  type ReadPurpose,
} from '../src/domain/access/purpose.js';
import { grantCovers } from '../src/domain/case-grants/verify-case-grant.js';

const DEPARTMENTS = ['health', 'civil_affairs', 'social_security'] as const;
const SUBJECTS = ['sub-a', 'sub-b'] as const;
const TYPES = ['birth_record', 'business_licence'] as const;
const FIELDS = ['childName', 'birthDate', 'motherName', 'birthWeight'] as const;

const purpose: fc.Arbitrary<ReadPurpose> = fc.oneof(
  fc.constant({ kind: 'self' as const }),
  fc.constantFrom('household_registration', 'insurance_enrolment').map((name) => ({
    kind: 'policy' as const,
    name,
  })),
  fc.constantFrom('C-1', 'C-2').map((caseId) => ({ kind: 'case' as const, caseId })),
);

const question: fc.Arbitrary<AccessQuestion> = fc.record({
  reader: fc.oneof(
    fc.record({
      kind: fc.constantFrom('staff' as const, 'client' as const),
      subject: fc.constant('reader-1'),
      department: fc.constantFrom(...DEPARTMENTS),
      scopes: fc
        .subarray(['records:read', 'records:write', 'cases:read'])
        .map((s) => new Set(s) as ReadonlySet<string>),
    }),
    fc.record({
      kind: fc.constant('resident' as const),
      subject: fc.constantFrom(...SUBJECTS),
      department: fc.constant(undefined),
      scopes: fc.constant(new Set<string>() as ReadonlySet<string>),
    }),
  ),
  target: fc.record({
    subjectId: fc.constantFrom(...SUBJECTS),
    typeCode: fc.constantFrom(...TYPES),
    issuerDepartment: fc.constantFrom(...DEPARTMENTS),
  }),
  purpose,
  view: fc.constantFrom('record' as const, 'list' as const),
  policy: fc.option(
    fc.record({
      fields: fc.subarray([...FIELDS]),
      consentRequired: fc.boolean(),
    }),
    { nil: undefined },
  ),
  consent: fc.boolean(),
  caseGrant: fc.oneof(
    fc.constantFrom(
      { status: 'absent' as const },
      { status: 'expired' as const },
      { status: 'invalid' as const },
    ),
    fc
      .record({
        subjectId: fc.constantFrom(...SUBJECTS),
        caseId: fc.constantFrom('C-1', 'C-2'),
        department: fc.constantFrom(...DEPARTMENTS),
        types: fc.subarray([...TYPES], { minLength: 1 }),
      })
      .map((g) => ({
        status: 'verified' as const,
        grant: {
          ...g,
          grantId: 'grant-0123456789abcdef',
          issuedAt: new Date(0),
          expiresAt: new Date(900_000),
        },
      })),
  ),
});

const data = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS, '__proto__', 'constructor', 'secretNote'), fc.string()),
  fc.string(),
);

/** A department other than the one that issued the records. */
const isOtherDepartment = (q: AccessQuestion) =>
  q.reader.kind !== 'resident' && q.reader.department !== q.target.issuerDepartment;

describe('decideAccess (ADR 0013 "Who reads what")', () => {
  it('never releases a field outside the policy to another department', () => {
    fc.assert(
      fc.property(question, data, (q, record) => {
        const decision = decideAccess(q);
        if (decision.outcome !== 'released' || !isOtherDepartment(q)) return;
        expect(q.policy).toBeDefined();
        expect(decision.basis).toBe('policy');
        const allowed = new Set(q.policy?.fields ?? []);
        const released = releaseFields(record, decision.fields);
        for (const name of Object.keys(released.data)) expect(allowed.has(name)).toBe(true);
        for (const name of released.fields) expect(allowed.has(name)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never releases without consent where the policy requires it', () => {
    fc.assert(
      fc.property(question, (q) => {
        const decision = decideAccess(q);
        if (decision.outcome === 'released' && isOtherDepartment(q) && q.policy?.consentRequired) {
          expect(q.consent).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('denies when there is no policy, unless the reader is the issuer or the resident themselves', () => {
    fc.assert(
      fc.property(question, (q) => {
        fc.pre(q.policy === undefined);
        const decision = decideAccess(q);
        if (decision.outcome === 'released') expect(decision.basis).not.toBe('policy');
        if (isOtherDepartment(q)) {
          expect(decision).toMatchObject({ outcome: 'denied' });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('releases a case read to another department only with a grant covering this case, subject, department and type', () => {
    fc.assert(
      fc.property(question, (q) => {
        const decision = decideAccess(q);
        if (decision.outcome !== 'released' || q.purpose.kind !== 'case' || !isOtherDepartment(q)) {
          return;
        }
        expect(q.caseGrant.status).toBe('verified');
        if (q.caseGrant.status !== 'verified') return;
        expect(
          grantCovers(q.caseGrant.grant, {
            caseId: q.purpose.caseId,
            subjectId: q.target.subjectId,
            department: q.reader.department ?? '',
            typeCode: q.target.typeCode,
          }),
        ).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('releases to a resident only their own records, for self; another resident’s record is not found', () => {
    fc.assert(
      fc.property(question, (q) => {
        fc.pre(q.reader.kind === 'resident');
        const decision = decideAccess(q);
        const own = q.reader.subject === q.target.subjectId;
        if (own && q.purpose.kind === 'self') {
          expect(decision).toEqual({ outcome: 'released', basis: 'self', fields: 'every' });
        } else if (!own) {
          expect(decision).toEqual({
            outcome: 'denied',
            code: q.view === 'record' ? 'not_found' : 'forbidden',
          });
        } else {
          expect(decision).toEqual({ outcome: 'denied', code: 'forbidden' });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('releases every field to the issuing department holding a records scope, for any purpose but self', () => {
    fc.assert(
      fc.property(question, (q) => {
        fc.pre(q.reader.kind !== 'resident' && q.reader.department === q.target.issuerDepartment);
        const scoped = q.reader.scopes.has('records:read') || q.reader.scopes.has('records:write');
        expect(decideAccess(q)).toEqual(
          scoped && q.purpose.kind !== 'self'
            ? { outcome: 'released', basis: 'issuer', fields: 'every' }
            : { outcome: 'denied', code: 'forbidden' },
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('answers the codes of the table, in order: scope, policy, case grant, consent', () => {
    const base: AccessQuestion = {
      reader: {
        kind: 'client',
        subject: 'c',
        department: 'civil_affairs',
        scopes: new Set(['records:read']),
      },
      target: { subjectId: 'sub-a', typeCode: 'birth_record', issuerDepartment: 'health' },
      purpose: { kind: 'case', caseId: 'C-1' },
      view: 'record',
      policy: { fields: ['childName'], consentRequired: true },
      consent: false,
      caseGrant: { status: 'absent' },
    };
    const code = (q: Partial<AccessQuestion>) => {
      const decision = decideAccess({ ...base, ...q });
      return decision.outcome === 'denied' ? decision.code : 'released';
    };
    expect(code({ reader: { ...base.reader, scopes: new Set(['records:write']) } })).toBe(
      'forbidden',
    );
    expect(code({ policy: undefined })).toBe('purpose_not_allowed');
    expect(code({})).toBe('case_grant_required');
    expect(code({ caseGrant: { status: 'expired' } })).toBe('case_grant_expired');
    expect(code({ caseGrant: { status: 'invalid' } })).toBe('case_grant_invalid');
    const grant = {
      subjectId: 'sub-a',
      caseId: 'C-1',
      department: 'civil_affairs',
      types: ['birth_record'],
      grantId: 'g-0123456789abcdef',
      issuedAt: new Date(0),
      expiresAt: new Date(1),
    };
    expect(code({ caseGrant: { status: 'verified', grant } })).toBe('consent_required');
    expect(code({ caseGrant: { status: 'verified', grant }, consent: true })).toBe('released');
    expect(code({ purpose: { kind: 'self' } })).toBe('forbidden');
    expect(code({ purpose: { kind: 'policy', name: 'x_y' }, consent: true })).toBe('released');
  });
});

describe('releaseFields', () => {
  it('keeps exactly the named members the record holds, with their values', () => {
    fc.assert(
      fc.property(data, fc.subarray([...FIELDS, '__proto__', 'secretNote']), (record, fields) => {
        const released = releaseFields(record, fields);
        const expected = Object.keys(record).filter((k) => fields.includes(k));
        expect(released.fields).toEqual(expected);
        expect(Object.keys(released.data)).toEqual(expected);
        for (const name of expected) {
          expect(Object.getOwnPropertyDescriptor(released.data, name)?.value).toBe(record[name]);
        }
        expect(Object.getPrototypeOf(released.data)).toBe(Object.prototype);
      }),
    );
  });

  it('keeps every member for `every`', () => {
    fc.assert(
      fc.property(data, (record) => {
        expect(releaseFields(record, 'every').fields).toEqual(Object.keys(record));
      }),
    );
  });
});

describe('parseReadPurpose', () => {
  it('reads the three forms and writes them back unchanged', () => {
    const valid = fc.oneof(
      fc.constant('self'),
      fc.stringMatching(/^[a-z][a-z0-9_]{1,63}$/).filter((s) => s !== 'case' && s !== 'self'),
      fc.stringMatching(/^case:[A-Za-z0-9_-]{1,64}$/),
    );
    fc.assert(
      fc.property(valid, (value) => {
        const parsed = parseReadPurpose(value);
        expect(parsed).toBeDefined();
        if (parsed) expect(formatReadPurpose(parsed)).toBe(value);
      }),
    );
  });

  it('refuses the bare word case, and anything outside the three forms', () => {
    expect(parseReadPurpose('case')).toBeUndefined();
    expect(parseReadPurpose('case:')).toBeUndefined();
    expect(parseReadPurpose('case:a b')).toBeUndefined();
    expect(parseReadPurpose(`case:${'x'.repeat(65)}`)).toBeUndefined();
    expect(parseReadPurpose('Self')).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseReadPurpose(value);
        if (parsed !== undefined) expect(formatReadPurpose(parsed)).toBe(value);
      }),
    );
  });
});
