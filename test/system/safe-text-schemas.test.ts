import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SAFE_MULTILINE_TEXT_PATTERN, SAFE_TEXT_PATTERN } from '@tongban/service-kit';
import { describe, expect, it } from 'vitest';

// The committed documents are the services' own (`pnpm clients:check` fails CI when a route
// schema and its document differ), so walking them walks every route's request schemas.
const SERVICES = ['identity', 'records', 'workflow'] as const;

/** Formats whose grammar admits no free text. */
const STRICT_FORMATS = new Set(['uuid', 'date', 'date-time']);

/**
 * Request fields whose value is free JSON rather than a string schema, each with where it is held
 * to the safe-text rule instead. Anything else untyped fails the walk.
 */
const FREE_JSON: Readonly<Record<string, string>> = {
  'records POST /v1/record-types body.fieldSchema':
    'a JSON Schema document: createRecordType checks every key and string in it with isSafeText',
  'records POST /v1/records body.data':
    "a record's fields: validated against the type's field schema, every key and string checked with isSafeText (firstUnsafeJson)",
  'records PUT /v1/records/{id} body.data':
    "a record's fields: validated against the type's field schema, every key and string checked with isSafeText (firstUnsafeJson)",
  'workflow POST /v1/cases body.form':
    "the applicant's form: validated against the service's form schema, every key and string checked with isSafeText (formValidators)",
};

type Schema = Record<string, unknown>;
interface Finding {
  readonly where: string;
  readonly problem: string;
}

function load(service: string): Schema {
  const path = fileURLToPath(
    new URL(`../../packages/clients/openapi/${service}.json`, import.meta.url),
  );
  return JSON.parse(readFileSync(path, 'utf8')) as Schema;
}

function resolve(doc: Schema, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  let node: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Schema)[part];
  return resolve(doc, node as Schema);
}

/** A pattern that only lists what it allows: no `.`, no negated class, no negated escape. */
function isAllowList(pattern: string): boolean {
  const unescaped = pattern.replace(/\\\\/g, '').replace(/\\[^SWDPp]/g, '');
  return (
    !/\[\^|\\[SWDPp]/.test(pattern) && !/(^|[^\\])\./.test(unescaped.replace(/\[[^\]]*\]/g, 'x'))
  );
}

/** A pattern whose matches have a length bound of their own (no `*`, `+` or `{n,}`). */
function isBounded(pattern: string): boolean {
  return !/[*+]|\{\d+,\}/.test(pattern.replace(/\\./g, ''));
}

function checkString(schema: Schema, where: string): Finding[] {
  if (schema.enum !== undefined || schema.const !== undefined) return [];
  if (typeof schema.format === 'string' && STRICT_FORMATS.has(schema.format)) return [];
  const pattern = schema.pattern;
  const bounded = typeof schema.maxLength === 'number';
  if (pattern === SAFE_TEXT_PATTERN || pattern === SAFE_MULTILINE_TEXT_PATTERN) {
    return bounded ? [] : [{ where, problem: 'safe text without maxLength' }];
  }
  if (typeof pattern !== 'string') {
    return [{ where, problem: 'free text without the safe-text pattern (use SafeText)' }];
  }
  if (!isAllowList(pattern)) {
    return [{ where, problem: `pattern ${pattern} is not an allow-list; use SafeText` }];
  }
  if (!bounded && !isBounded(pattern)) {
    return [{ where, problem: `pattern ${pattern} has no length bound and no maxLength` }];
  }
  return [];
}

function walk(doc: Schema, raw: Schema, where: string): Finding[] {
  const schema = resolve(doc, raw);
  const found: Finding[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    list.forEach((s, i) => {
      found.push(...walk(doc, s, `${where}|${i}`));
    });
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('string')) found.push(...checkString(schema, where));
  if (types.includes('array') && schema.items) {
    found.push(...walk(doc, schema.items as Schema, `${where}[]`));
  }
  if (types.includes('object')) {
    for (const [name, child] of Object.entries(
      (schema.properties ?? {}) as Record<string, Schema>,
    )) {
      found.push(...walk(doc, child, `${where}.${name}`));
    }
    const open = [
      ...Object.values((schema.patternProperties ?? {}) as Record<string, Schema>),
      ...(typeof schema.additionalProperties === 'object'
        ? [schema.additionalProperties as Schema]
        : []),
    ];
    for (const child of open) {
      const inner = resolve(doc, child);
      if (inner.type === undefined && !inner.anyOf && !inner.oneOf) {
        if (!FREE_JSON[where]) found.push({ where, problem: 'free JSON not listed in FREE_JSON' });
      } else {
        found.push(...walk(doc, inner, `${where}.*`));
      }
    }
  }
  if (
    schema.type === undefined &&
    !schema.anyOf &&
    !schema.oneOf &&
    !schema.allOf &&
    !schema.enum
  ) {
    if (!FREE_JSON[where]) found.push({ where, problem: 'untyped request value' });
  }
  return found;
}

interface Operation {
  readonly parameters?: { in: string; name: string; schema: Schema }[];
  readonly requestBody?: { content: Record<string, { schema: Schema }> };
}

function requestSchemaFindings(service: string): { findings: Finding[]; strings: number } {
  const doc = load(service);
  const findings: Finding[] = [];
  let strings = 0;
  const count = (schema: Schema) => {
    const text = JSON.stringify(schema);
    strings += text.split('"type":"string"').length - 1;
  };
  for (const [path, item] of Object.entries(
    doc.paths as Record<string, Record<string, Operation>>,
  )) {
    for (const [method, op] of Object.entries(item)) {
      const route = `${service} ${method.toUpperCase()} ${path}`;
      for (const param of op.parameters ?? []) {
        count(param.schema);
        findings.push(...walk(doc, param.schema, `${route} ${param.in}.${param.name}`));
      }
      for (const [media, content] of Object.entries(op.requestBody?.content ?? {})) {
        count(content.schema);
        for (const f of walk(doc, content.schema, `${route} body`)) {
          // One media type's finding is enough; form and JSON bodies share their schema.
          if (!findings.some((g) => g.where === f.where)) {
            findings.push({ where: f.where, problem: `${f.problem} (${media})` });
          }
        }
      }
    }
  }
  return { findings, strings };
}

describe('request schemas of identity, records and workflow', () => {
  for (const service of SERVICES) {
    it(`${service}: every free-text field is bounded and refuses control and bidi characters (defect 3)`, () => {
      const { findings, strings } = requestSchemaFindings(service);
      expect(strings).toBeGreaterThan(0);
      expect(findings).toEqual([]);
    });
  }

  it('the walker notices an unbounded or unpatterned string (control)', () => {
    const doc = { paths: {} };
    expect(walk(doc, { type: 'string', maxLength: 10 }, 'x')).toHaveLength(1);
    expect(walk(doc, { type: 'string', pattern: SAFE_TEXT_PATTERN }, 'x')).toHaveLength(1);
    expect(walk(doc, { type: 'string', pattern: '^.*$', maxLength: 9 }, 'x')).toHaveLength(1);
    expect(walk(doc, { type: 'string', pattern: '^[^<]+$', maxLength: 9 }, 'x')).toHaveLength(1);
    expect(walk(doc, { type: 'string', pattern: '^[a-z]+$' }, 'x')).toHaveLength(1);
    expect(walk(doc, { type: 'string', pattern: '^[a-z]{1,9}$' }, 'x')).toEqual([]);
    expect(walk(doc, { type: 'object', patternProperties: { '^.*$': {} } }, 'x')).toHaveLength(1);
  });
});
