import { createRecordsClient, type RecordsPaths } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import type { ServiceInstance } from '@tongban/service-kit';
import type { TestIssuer } from '@tongban/test-tokens';

export type NewRecordType =
  RecordsPaths['/v1/record-types']['post']['requestBody']['content']['application/json'];

/** Pseudonymous subject ids as identity makes them (16 base64url characters). */
export const subjects = {
  zhang: 'zHaNgWeI0000000A',
  li: 'LiNa000000000000',
  wang: 'WaNgFaNg00000003',
} as const;

/** A birth medical certificate, issued by health: the type most record tests publish. */
export const birthRecordType: NewRecordType = {
  code: 'birth_record',
  name: { zh: '出生医学证明', en: 'Birth medical certificate' },
  fieldSchema: {
    type: 'object',
    properties: {
      childName: { type: 'string', minLength: 1 },
      birthDate: { type: 'string', format: 'date' },
      sex: { enum: ['female', 'male'] },
      birthWeightGrams: { type: 'integer', minimum: 300, maximum: 8000 },
      mother: {
        type: 'object',
        properties: { name: { type: 'string' }, subjectId: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
    },
    required: ['childName', 'birthDate', 'sex'],
    additionalProperties: false,
  },
  classification: {
    childName: 'personal',
    birthDate: 'basic',
    sex: 'personal',
    birthWeightGrams: 'sensitive',
    mother: 'personal',
  },
};

export const birthData = {
  childName: '张小雨',
  birthDate: '2025-03-14',
  sex: 'female',
  birthWeightGrams: 3250,
  mother: { name: '李娜', subjectId: subjects.li },
};

/** Typed records clients over app.inject, and the tokens record writers hold. */
export function recordWriters(app: ServiceInstance, issuer: TestIssuer) {
  const client = (token?: string) =>
    createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(app),
      ...(token ? { token } : {}),
    });
  return {
    client,
    /** A department system with records:write. */
    system: (department: string) =>
      issuer.client(department, `client-${department}`, 'records:write records:read'),
    /** A case officer, whose role identity grants records:write. */
    officer: (department: string) =>
      issuer.staff(
        department,
        ['case_officer'],
        `officer-${department}`,
        'cases:decide cases:read records:read records:write',
      ),
    admin: (department: string) => issuer.staff(department, ['department_admin']),
    async declare(type: NewRecordType, department: string) {
      const res = await client(await issuer.staff(department, ['department_admin'])).POST(
        '/v1/record-types',
        { body: type },
      );
      if (res.response.status !== 201) {
        throw new Error(
          `declaring ${type.code}: ${res.response.status} ${JSON.stringify(res.error)}`,
        );
      }
      return res.data;
    },
  };
}
