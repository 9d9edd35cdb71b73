import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaseGrant } from './helpers/case-grant.js';
import { residentHeaders } from './helpers/read-callers.js';
import { type ReadWorld, requestId, startReadWorld } from './helpers/read-world.js';

/*
 * Acceptance 1: every read route (certified copies included) × every kind of caller gets exactly the status, code and fields
 * ADR 0013's table gives it; no value of a withheld field appears anywhere in the body; and each
 * request leaves exactly the access-log entries it should.
 *
 * health issues birth_record. civil_affairs may read two fields for `household_registration`;
 * social_security three fields for `insurance_enrolment`, with the resident's consent;
 * public_security two fields for case reads (`case`, with a grant); market_regulation nothing.
 */

const FIELDS = ['childName', 'birthDate', 'motherName', 'birthWeight'] as const;
const TYPE = 'birth_record';
const CASE_ID = 'C-2030-0001';

type RouteName = 'list' | 'by id' | 'by id and version' | 'versions' | 'certificate';
const ROUTES: readonly RouteName[] = [
  'list',
  'by id',
  'by id and version',
  'versions',
  'certificate',
];

/** Two subjects with the same kind of record: only the second consented to social_security. */
type SubjectName = 'plain' | 'consented';
const SUBJECT_IDS: Record<SubjectName, string> = {
  plain: 'SubPlain00000001',
  consented: 'SubConsented0002',
};

type Expectation =
  | { readonly released: readonly string[] }
  | {
      readonly status: number;
      readonly code: string;
      /** Refused before any record is looked at (the route is not for this kind of caller). */
      readonly unlogged?: true;
    };

// A certified copy is addressed to a department: residents read their own records directly.
const NOT_FOR_RESIDENTS: Expectation = { status: 403, code: 'forbidden', unlogged: true };

interface Caller {
  readonly name: string;
  readonly subject: SubjectName;
  readonly purpose: string;
  headers(method: string, url: string): Promise<Record<string, string>>;
  expect(route: RouteName): Expectation;
}

interface CertificateClaims {
  readonly sub: string;
  readonly record: { readonly id: string; readonly type: string; readonly version: number };
  readonly fields: Record<string, unknown>;
  readonly issuer_department: string;
}

const payloadOf = (jws: string): CertificateClaims =>
  JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'));

/** A certificate's claims in the shape of a released record, to hold to the same table. */
const certifiedItem = (claims: CertificateClaims) => ({
  id: claims.record.id,
  type: claims.record.type,
  version: claims.record.version,
  subjectId: claims.sub,
  issuerDepartment: claims.issuer_department,
  status: 'active',
  data: claims.fields,
  releasedFields: Object.keys(claims.fields),
});

// Every value distinct and unlike any id, so a search of the raw body cannot be fooled.
const fieldValue = (subject: SubjectName, version: number, field: string) =>
  `${field}-${subject}-v${version}-7f3a`;

describe('read authorization matrix (acceptance 1)', () => {
  let w: ReadWorld;
  const recordIds = {} as Record<SubjectName, string>;

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('health', TYPE, FIELDS);
    await w.createPolicy('health', {
      readerDepartment: 'civil_affairs',
      recordType: TYPE,
      purpose: 'household_registration',
      fields: ['childName', 'birthDate'],
      consentRequired: false,
    });
    await w.createPolicy('health', {
      readerDepartment: 'social_security',
      recordType: TYPE,
      purpose: 'insurance_enrolment',
      fields: ['childName', 'birthDate', 'motherName'],
      consentRequired: true,
    });
    await w.createPolicy('health', {
      readerDepartment: 'public_security',
      recordType: TYPE,
      purpose: 'case',
      fields: ['childName', 'birthDate'],
      consentRequired: false,
    });
    // Published by health's system, then amended: version 2 is current, version 1 history.
    for (const subject of ['plain', 'consented'] as const) {
      const { id } = await w.publishRecord({
        issuer: 'health',
        type: TYPE,
        subjectId: SUBJECT_IDS[subject],
        versions: [1, 2].map((v) =>
          Object.fromEntries(FIELDS.map((f) => [f, fieldValue(subject, v, f)])),
        ),
      });
      recordIds[subject] = id;
    }
    await w.grantConsent({
      subjectId: SUBJECT_IDS.consented,
      department: 'social_security',
      typeCode: TYPE,
      purpose: 'insurance_enrolment',
    });
  });
  afterAll(() => w.close());

  const bearer = (token: Promise<string>) => async () => ({
    authorization: `Bearer ${await token}`,
  });

  const callers = (): Caller[] => [
    {
      name: 'the owning department (client with records:write)',
      subject: 'plain',
      purpose: 'quality_audit',
      headers: bearer(w.callers.client('health', ['records:write'])),
      expect: () => ({ released: FIELDS }),
    },
    {
      name: 'an allowed reader',
      subject: 'plain',
      purpose: 'household_registration',
      headers: bearer(w.callers.client('civil_affairs', ['records:read'])),
      expect: () => ({ released: ['childName', 'birthDate'] }),
    },
    {
      name: 'a reader without a policy',
      subject: 'plain',
      purpose: 'household_registration',
      headers: bearer(w.callers.client('market_regulation', ['records:read'])),
      expect: () => ({ status: 403, code: 'purpose_not_allowed' }),
    },
    {
      name: 'a reader needing consent, without it',
      subject: 'plain',
      purpose: 'insurance_enrolment',
      headers: bearer(w.callers.client('social_security', ['records:read'])),
      expect: () => ({ status: 403, code: 'consent_required' }),
    },
    {
      name: 'a reader needing consent, with it',
      subject: 'consented',
      purpose: 'insurance_enrolment',
      headers: bearer(w.callers.client('social_security', ['records:read'])),
      expect: () => ({ released: ['childName', 'birthDate', 'motherName'] }),
    },
    {
      name: 'the resident, for themselves',
      subject: 'plain',
      purpose: 'self',
      headers: async (method, url) =>
        residentHeaders(await w.callers.resident(SUBJECT_IDS.plain), { method, url }),
      expect: (route) => (route === 'certificate' ? NOT_FOR_RESIDENTS : { released: FIELDS }),
    },
    {
      name: 'another resident',
      subject: 'plain',
      purpose: 'self',
      headers: async (method, url) =>
        residentHeaders(await w.callers.resident('SubStranger00003'), { method, url }),
      expect: (route) =>
        route === 'certificate'
          ? NOT_FOR_RESIDENTS
          : route === 'list'
            ? { status: 403, code: 'forbidden' }
            : { status: 404, code: 'not_found' },
    },
    {
      name: 'a case reader with a valid case grant',
      subject: 'plain',
      purpose: `case:${CASE_ID}`,
      headers: async () => ({
        authorization: `Bearer ${await w.callers.client('public_security', ['records:read'])}`,
        'case-grant': await signCaseGrant({
          key: w.grantKey,
          now: w.clock.now(),
          subjectId: SUBJECT_IDS.plain,
          caseId: CASE_ID,
          department: 'public_security',
          types: [TYPE],
        }),
      }),
      expect: () => ({ released: ['childName', 'birthDate'] }),
    },
  ];

  const urlOf = (route: RouteName, caller: Caller) => {
    const purpose = `purpose=${encodeURIComponent(caller.purpose)}`;
    const id = recordIds[caller.subject];
    switch (route) {
      case 'list':
        return `/v1/records?subjectId=${SUBJECT_IDS[caller.subject]}&type=${TYPE}&${purpose}`;
      case 'by id':
        return `/v1/records/${id}?${purpose}`;
      case 'by id and version':
        return `/v1/records/${id}?${purpose}&version=1`;
      case 'versions':
        return `/v1/records/${id}/versions?${purpose}`;
      case 'certificate':
        return `/v1/records/${id}/certificate?${purpose}`;
    }
  };

  /** The versions a route releases, in the order it returns them. */
  const versionsOf = (route: RouteName): number[] =>
    route === 'versions' ? [2, 1] : route === 'by id and version' ? [1] : [2];
  // (A certificate certifies the current version, as `by id` reads it.)

  const sorted = (names: readonly string[]) => [...names].sort();

  for (const route of ROUTES) {
    describe(`GET ${route}`, () => {
      for (const caller of [
        'the owning department (client with records:write)',
        'an allowed reader',
        'a reader without a policy',
        'a reader needing consent, without it',
        'a reader needing consent, with it',
        'the resident, for themselves',
        'another resident',
        'a case reader with a valid case grant',
      ]) {
        it(`answers ${caller} exactly as the table says, and logs it`, async () => {
          const cell = callers().find((c) => c.name === caller);
          if (cell === undefined) throw new Error(`no caller ${caller}`);
          const url = urlOf(route, cell);
          const id = requestId();
          const res = await w.t.app.inject({
            method: 'GET',
            url,
            headers: { ...(await cell.headers('GET', url)), 'x-request-id': id },
          });
          const expected = cell.expect(route);
          const released = 'released' in expected ? expected.released : [];

          // A certificate's claims travel base64url-encoded: search its decoded payload too.
          const certificate = route === 'certificate' && res.statusCode === 200;
          const claims = certificate ? payloadOf(res.json().certificate) : undefined;
          const searched = `${res.body}${claims === undefined ? '' : JSON.stringify(claims)}`;
          // No value of a withheld field, of any version or any subject, appears anywhere.
          for (const subject of ['plain', 'consented'] as const) {
            for (const version of [1, 2]) {
              for (const field of FIELDS) {
                const mayAppear = subject === cell.subject && released.includes(field);
                if (!mayAppear) expect(searched).not.toContain(fieldValue(subject, version, field));
              }
            }
          }

          // Entries of one request share the clock's instant: compare them newest version first.
          const logged = (await w.entriesOf(id)).sort(
            (a, b) => (b.recordVersion ?? 0) - (a.recordVersion ?? 0),
          );
          const entries = logged.map((e) => ({
            outcome: e.outcome,
            denialCode: e.denialCode,
            fields: sorted(e.fields),
            recordId: e.recordId,
            recordVersion: e.recordVersion,
            subjectId: e.subjectId,
            typeCode: e.typeCode,
            purpose: e.purpose,
            caseId: e.caseId,
          }));
          const base = {
            subjectId: SUBJECT_IDS[cell.subject],
            typeCode: TYPE,
            purpose: cell.purpose,
            caseId: cell.purpose.startsWith('case:') ? CASE_ID : null,
          };

          if ('released' in expected) {
            expect(res.statusCode).toBe(200);
            const body = res.json();
            const items =
              claims !== undefined
                ? [certifiedItem(claims)]
                : route === 'list' || route === 'versions'
                  ? body.items
                  : [body];
            expect(items.map((r: { version: number }) => r.version)).toEqual(versionsOf(route));
            for (const item of items) {
              expect(sorted(item.releasedFields)).toEqual(sorted(expected.released));
              expect(sorted(Object.keys(item.data))).toEqual(sorted(expected.released));
              for (const field of expected.released) {
                expect(item.data[field]).toBe(fieldValue(cell.subject, item.version, field));
              }
              expect(item).toMatchObject({
                id: recordIds[cell.subject],
                type: TYPE,
                subjectId: SUBJECT_IDS[cell.subject],
                issuerDepartment: 'health',
                status: 'active',
              });
            }
            expect(entries).toEqual(
              versionsOf(route).map((version) => ({
                ...base,
                outcome: 'released',
                denialCode: null,
                fields: sorted(expected.released),
                recordId: recordIds[cell.subject],
                recordVersion: version,
              })),
            );
          } else {
            expect(res.statusCode).toBe(expected.status);
            expect(res.json()).toMatchObject({ code: expected.code });
            expect(res.json()).not.toHaveProperty('data');
            expect(res.json()).not.toHaveProperty('certificate');
            if ('unlogged' in expected) {
              expect(entries).toEqual([]);
              return;
            }
            // A refused list names the subject and type; a refused record names the record.
            expect(entries).toEqual([
              {
                ...base,
                outcome: 'denied',
                denialCode: expected.code,
                fields: [],
                recordId: route === 'list' ? null : recordIds[cell.subject],
                recordVersion: null,
              },
            ]);
          }
        });
      }
    });
  }
});
