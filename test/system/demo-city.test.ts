import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as city from '../../scripts/seed/demo-city.js';

const catalogueDir = fileURLToPath(new URL('../../services/workflow/catalogue/', import.meta.url));

interface Definition {
  readonly code: string;
  readonly form: { readonly required: readonly string[]; readonly properties: object };
  readonly recordTypes: readonly { readonly code: string; readonly step: string }[];
  readonly steps: readonly { readonly id: string; readonly department: string }[];
}

async function catalogue(): Promise<Definition[]> {
  const files = (await readdir(catalogueDir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (f) => JSON.parse(await readFile(`${catalogueDir}${f}`, 'utf8')) as Definition),
  );
}

const casePolicy = (recordType: string, readerDepartment: string) =>
  city.accessPolicies.find(
    (p) =>
      p.recordType === recordType &&
      p.readerDepartment === readerDepartment &&
      p.purpose === 'case',
  );

const issuerOf = (recordType: string) =>
  city.recordTypes.find((t) => t.code === recordType)?.issuerDepartment;

describe('the demo city against the shipped service catalogue', () => {
  it('lets the service centre read, for a case, one non-sensitive field of every record type a service lists', async () => {
    const types = new Set((await catalogue()).flatMap((d) => d.recordTypes.map((r) => r.code)));
    expect(types.size).toBeGreaterThan(0);
    for (const type of types) {
      const policy = casePolicy(type, city.SERVICE_CENTRE);
      expect(policy, type).toMatchObject({ consentRequired: false });
      expect(policy?.fields, type).toHaveLength(1);
      const classification = city.recordTypes.find((t) => t.code === type)?.classification;
      for (const field of policy?.fields ?? []) {
        expect(classification?.[field], `${type}.${field}`).toMatch(/^(basic|personal)$/);
      }
    }
  });

  it('lets each step’s department read, for a case, the record types listed for its step', async () => {
    for (const definition of await catalogue()) {
      for (const need of definition.recordTypes) {
        const department = definition.steps.find((s) => s.id === need.step)?.department;
        expect(department, `${definition.code} step ${need.step}`).toBeDefined();
        if (department === undefined || department === issuerOf(need.code)) continue;
        expect(
          casePolicy(need.code, department),
          `${definition.code}: ${department} reads ${need.code}`,
        ).toBeDefined();
      }
    }
  });

  it('gives each demo case a service of the catalogue and a form with every required field and no other', async () => {
    const definitions = await catalogue();
    for (const demo of city.cases) {
      const definition = definitions.find((d) => d.code === demo.service);
      expect(definition, demo.key).toBeDefined();
      const fields = Object.keys(demo.form);
      expect(fields, demo.key).toEqual(
        expect.arrayContaining([...(definition?.form.required ?? [])]),
      );
      for (const field of fields) {
        expect(Object.keys(definition?.form.properties ?? {}), `${demo.key}.${field}`).toContain(
          field,
        );
      }
    }
  });
});
