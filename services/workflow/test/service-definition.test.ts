import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DefinitionError,
  definitionDigest,
  validateDefinition,
} from '../src/domain/services/definition.js';

type StepSpec = { id: string; dependsOn: string[]; department?: string; sla?: number };

function definition(steps: StepSpec[], extra: Record<string, unknown> = {}) {
  return {
    code: 'test_service',
    name: { zh: '测试服务', en: 'Test service' },
    form: { type: 'object', properties: { note: { type: 'string' } } },
    recordTypes: [],
    steps: steps.map((s) => ({
      id: s.id,
      name: { zh: s.id, en: s.id },
      department: s.department ?? 'civil_affairs',
      kind: 'review',
      dependsOn: s.dependsOn,
      slaWorkingDays: s.sla ?? 5,
    })),
    ...extra,
  };
}

function errorsOf(input: unknown): readonly DefinitionError[] {
  const result = validateDefinition(input);
  if (result.ok) throw new Error('expected the definition to be refused');
  return result.errors;
}

const chain = [
  { id: 'a', dependsOn: [] },
  { id: 'b', dependsOn: ['a'] },
];

describe('validateDefinition', () => {
  it('accepts a sequence, a fork and a join', () => {
    const result = validateDefinition(
      definition([
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: ['a'] },
        { id: 'c', dependsOn: ['a'] },
        { id: 'd', dependsOn: ['b', 'c'] },
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it('refuses duplicate step ids, naming the duplicate', () => {
    expect(
      errorsOf(
        definition([
          { id: 'a', dependsOn: [] },
          { id: 'a', dependsOn: [] },
        ]),
      ),
    ).toContainEqual({ path: '/steps/1/id', message: 'duplicates /steps/0/id' });
  });

  it('refuses a dependency on a step that does not exist', () => {
    expect(
      errorsOf(
        definition([
          { id: 'a', dependsOn: [] },
          { id: 'b', dependsOn: ['a', 'x'] },
        ]),
      ),
    ).toEqual([{ path: '/steps/1/dependsOn/1', message: 'names no step: x' }]);
  });

  it('refuses a cycle and reports it', () => {
    const errors = errorsOf(
      definition([
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: ['a', 'd'] },
        { id: 'c', dependsOn: ['b'] },
        { id: 'd', dependsOn: ['c'] },
      ]),
    );
    expect(errors).toContainEqual({
      path: '/steps/1/dependsOn',
      message: 'closes a cycle: b → d → c → b',
    });
    // Behind the cycle, b, c and d can never start.
    expect(
      errors.filter((e) => e.message.startsWith('is never reached')).map((e) => e.path),
    ).toEqual(['/steps/1', '/steps/2', '/steps/3']);
  });

  it('refuses a step depending on itself', () => {
    expect(
      errorsOf(
        definition([
          { id: 'a', dependsOn: [] },
          { id: 'b', dependsOn: ['b'] },
        ]),
      ),
    ).toContainEqual({ path: '/steps/1/dependsOn', message: 'closes a cycle: b → b' });
  });

  it('refuses a definition without a start step', () => {
    expect(
      errorsOf(
        definition([
          { id: 'a', dependsOn: ['b'] },
          { id: 'b', dependsOn: ['a'] },
        ]),
      ),
    ).toContainEqual({ path: '/steps', message: 'has no start step (one that depends on none)' });
  });

  it('refuses an SLA outside 1–60 working days', () => {
    expect(errorsOf(definition([{ id: 'a', dependsOn: [], sla: 0 }]))).toEqual([
      { path: '/steps/0/slaWorkingDays', message: 'must be >= 1' },
    ]);
    expect(errorsOf(definition([{ id: 'a', dependsOn: [], sla: 61 }]))).toEqual([
      { path: '/steps/0/slaWorkingDays', message: 'must be <= 60' },
    ]);
  });

  it('refuses a malformed department code', () => {
    expect(errorsOf(definition([{ id: 'a', dependsOn: [], department: 'Civil Affairs' }]))).toEqual(
      [{ path: '/steps/0/department', message: 'must match pattern "^[a-z][a-z0-9_]{1,39}$"' }],
    );
  });

  it('refuses an unknown step kind, listing the kinds', () => {
    const input = definition(chain);
    (input.steps[0] as { kind: string }).kind = 'approve';
    expect(errorsOf(input)).toEqual([
      {
        path: '/steps/0/kind',
        message:
          'must be equal to one of the allowed values: check, review, inspect, register, issue',
      },
    ]);
  });

  it('refuses missing and unknown members, naming them', () => {
    const { name: _name, ...nameless } = definition(chain);
    expect(errorsOf({ ...nameless, colour: 'red' })).toEqual([
      { path: '/name', message: "must have required property 'name'" },
      { path: '/colour', message: 'must NOT have additional properties' },
    ]);
  });

  it('refuses a form that is not a strict object schema', () => {
    expect(errorsOf(definition(chain, { form: { type: 'string' } }))).toEqual([
      { path: '/form', message: 'must be an object schema with properties' },
    ]);
    const [typo] = errorsOf(
      definition(chain, { form: { type: 'object', properties: {}, requried: ['x'] } }),
    );
    expect(typo?.path).toBe('/form');
    expect(typo?.message).toMatch(/unknown keyword: "requried"/);
  });

  it('refuses a form holding text that is not allowed', () => {
    expect(
      errorsOf(
        definition(chain, {
          form: { type: 'object', properties: { a: { type: 'string', description: 'x\u202Ey' } } },
        }),
      ),
    ).toEqual([{ path: '/form/properties/a/description', message: 'is text that is not allowed' }]);
  });

  it('refuses a record type read by a step that does not exist, and duplicates', () => {
    expect(
      errorsOf(
        definition(chain, {
          recordTypes: [
            { code: 'birth_record', step: 'a' },
            { code: 'birth_record', step: 'z' },
            { code: 'birth_record', step: 'a' },
          ],
        }),
      ),
    ).toEqual([
      { path: '/recordTypes/1/step', message: 'names no step: z' },
      { path: '/recordTypes/2', message: 'duplicates /recordTypes/0' },
    ]);
  });

  it('gives equal content the same digest, whatever the member order', () => {
    const result = validateDefinition(definition(chain));
    if (!result.ok) throw new Error('valid definition refused');
    const { steps, ...rest } = result.definition;
    const reordered = JSON.parse(JSON.stringify({ steps, ...rest }));
    expect(Object.keys(reordered)[0]).toBe('steps');
    expect(definitionDigest(reordered)).toBe(definitionDigest(result.definition));
    expect(definitionDigest({ ...result.definition, code: 'other_service' })).not.toBe(
      definitionDigest(result.definition),
    );
  });
});

/** A random DAG: each step depends only on steps earlier in a hidden order, then shuffled. */
const dag = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`)),
        ),
      ),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    ),
  )
  .map(([deps, order]) =>
    order.map((i) => ({ id: `s${i}`, dependsOn: deps[i] ?? [] }) satisfies StepSpec),
  );

describe('validateDefinition on random graphs', () => {
  it('accepts every DAG', () => {
    fc.assert(
      fc.property(dag, (steps) => {
        expect(validateDefinition(definition(steps))).toMatchObject({ ok: true });
      }),
    );
  });

  it('refuses every graph with a cycle, reporting a real one', () => {
    const withCycle = dag.chain((steps) =>
      fc
        .shuffledSubarray(
          steps.map((s) => s.id),
          { minLength: 1 },
        )
        .map((loop) => {
          // Each step of the loop also depends on the next one, the last on the first.
          const graph = steps.map((s) => ({ ...s, dependsOn: [...s.dependsOn] }));
          loop.forEach((id, k) => {
            const step = graph.find((s) => s.id === id) as StepSpec;
            const next = loop[(k + 1) % loop.length] as string;
            if (!step.dependsOn.includes(next)) step.dependsOn.push(next);
          });
          return graph;
        }),
    );
    fc.assert(
      fc.property(withCycle, (steps) => {
        const errors = errorsOf(definition(steps));
        const reported = errors.find((e) => e.message.startsWith('closes a cycle: '));
        expect(reported).toBeDefined();
        const ids = (reported as DefinitionError).message
          .slice('closes a cycle: '.length)
          .split(' → ');
        expect(ids[0]).toBe(ids.at(-1));
        // Each step of the reported cycle depends on the next one in the graph.
        for (let k = 0; k + 1 < ids.length; k++) {
          const step = steps.find((s) => s.id === ids[k]);
          expect(step?.dependsOn).toContain(ids[k + 1]);
        }
      }),
    );
  });
});
