import { createHash } from 'node:crypto';
import { isSafeText, SafeText } from '@tongban/service-kit';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import canonicalize from 'canonicalize';
import { type Static, Type } from 'typebox';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Service, step and record type codes: what the service_definitions check constraint allows. */
export const CODE_PATTERN = '^[a-z][a-z0-9_]{1,63}$';
/** Department codes as identity stores them (its departments_code_format constraint). */
export const DEPARTMENT_PATTERN = '^[a-z][a-z0-9_]{1,39}$';
const STEP_ID_PATTERN = '^[a-z][a-z0-9_]{0,39}$';

/**
 * What a step asks of its department:
 * - `check`: confirm facts from records the case pulls (e.g. that a birth record exists);
 * - `review`: examine the application and decide to approve or refuse;
 * - `inspect`: visit the premises or the person and record the finding;
 * - `register`: enter the applicant in a register the department keeps (household, insurance);
 * - `issue`: issue a document, card, licence or record to the applicant.
 */
export const STEP_KINDS = ['check', 'review', 'inspect', 'register', 'issue'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

const Names = Type.Object(
  { zh: SafeText({ maxLength: 100 }), en: SafeText({ maxLength: 200 }) },
  { additionalProperties: false },
);
const Descriptions = Type.Object(
  {
    zh: SafeText({ maxLength: 1000, multiline: true }),
    en: SafeText({ maxLength: 2000, multiline: true }),
  },
  { additionalProperties: false },
);

export const Step = Type.Object(
  {
    id: Type.String({ pattern: STEP_ID_PATTERN, description: 'Unique within the definition' }),
    name: Names,
    department: Type.String({ pattern: DEPARTMENT_PATTERN }),
    // One enum keyword (not a union of literals) so a wrong kind is one error naming the list.
    kind: Type.Unsafe<StepKind>({ type: 'string', enum: [...STEP_KINDS] }),
    dependsOn: Type.Array(Type.String({ pattern: STEP_ID_PATTERN }), {
      maxItems: 20,
      uniqueItems: true,
      description: 'Steps that must be done before this one starts; none for a start step',
    }),
    slaWorkingDays: Type.Integer({ minimum: 1, maximum: 60 }),
  },
  { additionalProperties: false },
);

export const RecordTypeNeed = Type.Object(
  {
    code: Type.String({ pattern: CODE_PATTERN, description: 'A record type code of records' }),
    step: Type.String({
      pattern: STEP_ID_PATTERN,
      description: 'The step whose department reads records of this type',
    }),
  },
  { additionalProperties: false },
);

/** A service definition as an operator writes it (services/workflow/catalogue/<code>.json). */
export const ServiceDefinitionInput = Type.Object(
  {
    code: Type.String({ pattern: CODE_PATTERN }),
    name: Names,
    description: Type.Optional(Descriptions),
    form: Type.Record(Type.String(), Type.Unknown(), {
      description: "JSON Schema of the applicant's form (an object schema)",
    }),
    recordTypes: Type.Array(RecordTypeNeed, { maxItems: 50 }),
    steps: Type.Array(Step, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type ServiceDefinitionInput = Static<typeof ServiceDefinitionInput>;

export interface DefinitionError {
  /** JSON Pointer (RFC 6901) into the definition. */
  readonly path: string;
  readonly message: string;
}

export type DefinitionResult =
  | { readonly ok: true; readonly definition: ServiceDefinitionInput }
  | { readonly ok: false; readonly errors: readonly DefinitionError[] };

const shapeChecker = new Ajv({ strict: true, allErrors: true });
// TypeBox adds no keywords Ajv does not know; strict mode would say so if it did.
const checkShape = shapeChecker.compile<ServiceDefinitionInput>(
  JSON.parse(JSON.stringify(ServiceDefinitionInput)),
);
// Strict mode: a form with a typo ("requried") is refused instead of silently accepting anything.
const formChecker = addFormats(new Ajv({ strict: true, allErrors: false }));

const FORM_LIMITS = { maxString: 1000, maxDepth: 16 };

/**
 * Checks a definition: its shape, a usable strict form schema, then the step graph: unique ids,
 * dependencies that exist, no cycle, at least one start step, every step reachable from one,
 * and record types read by steps that exist. Every failure names where it is.
 */
export function validateDefinition(input: unknown): DefinitionResult {
  if (!checkShape(input)) {
    return { ok: false, errors: (checkShape.errors ?? []).map(shapeError) };
  }
  const errors = [...formErrors(input.form), ...graphErrors(input)];
  return errors.length === 0 ? { ok: true, definition: input } : { ok: false, errors };
}

function shapeError(e: ErrorObject): DefinitionError {
  const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
  const extra =
    e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
  const allowed =
    e.keyword === 'enum' ? `: ${(e.params.allowedValues as string[]).join(', ')}` : '';
  return {
    path: `${e.instancePath}${missing}${extra}` || '/',
    message: `${e.message ?? 'is invalid'}${allowed}`,
  };
}

function formErrors(form: Record<string, unknown>): DefinitionError[] {
  const unsafe = firstUnsafe(form, '/form', 0);
  if (unsafe) return [unsafe];
  if (form.type !== 'object' || typeof form.properties !== 'object' || form.properties === null) {
    return [{ path: '/form', message: 'must be an object schema with properties' }];
  }
  try {
    formChecker.compile(form);
    return [];
  } catch (err) {
    return [{ path: '/form', message: (err as Error).message.slice(0, 200) }];
  } finally {
    // Ajv keeps every compiled schema (and claims its $id); this one was only a check.
    formChecker.removeSchema(form);
  }
}

/** Every key and string of the form meets the safe-text rule, nested no deeper than forms are. */
function firstUnsafe(value: unknown, path: string, depth: number): DefinitionError | undefined {
  if (depth > FORM_LIMITS.maxDepth) return { path, message: 'nests too deep' };
  if (typeof value === 'string') {
    return value.length > FORM_LIMITS.maxString || !isSafeText(value, { multiline: true })
      ? { path, message: 'is text that is not allowed' }
      : undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstUnsafe(item, `${path}/${i}`, depth + 1);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (key.length > 100 || !isSafeText(key))
        return { path: at, message: 'is not an allowed key' };
      const found = firstUnsafe(item, at, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function graphErrors(definition: ServiceDefinitionInput): DefinitionError[] {
  const errors: DefinitionError[] = [];
  const { steps } = definition;
  const indexOf = new Map<string, number>();
  steps.forEach((step, i) => {
    const first = indexOf.get(step.id);
    if (first === undefined) indexOf.set(step.id, i);
    else errors.push({ path: `/steps/${i}/id`, message: `duplicates /steps/${first}/id` });
  });
  steps.forEach((step, i) => {
    step.dependsOn.forEach((dep, k) => {
      if (!indexOf.has(dep)) {
        errors.push({ path: `/steps/${i}/dependsOn/${k}`, message: `names no step: ${dep}` });
      }
    });
  });
  definition.recordTypes.forEach((need, i) => {
    if (!indexOf.has(need.step)) {
      errors.push({ path: `/recordTypes/${i}/step`, message: `names no step: ${need.step}` });
    }
    const first = definition.recordTypes.findIndex(
      (other) => other.code === need.code && other.step === need.step,
    );
    if (first !== i) {
      errors.push({ path: `/recordTypes/${i}`, message: `duplicates /recordTypes/${first}` });
    }
  });
  // The graph over the first step of each id and the dependencies that exist.
  const ids = [...indexOf.keys()];
  const deps = new Map(
    ids.map((id) => [
      id,
      (steps[indexOf.get(id) as number]?.dependsOn ?? []).filter((d) => indexOf.has(d)),
    ]),
  );
  const cycle = findCycle(ids, deps);
  if (cycle) {
    const at = indexOf.get(cycle[0] as string) as number;
    errors.push({
      path: `/steps/${at}/dependsOn`,
      message: `closes a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  const starts = ids.filter((id) => deps.get(id)?.length === 0);
  if (starts.length === 0) {
    errors.push({ path: '/steps', message: 'has no start step (one that depends on none)' });
  }
  // A step starts once all it depends on are done: reachable means every dependency is.
  const reachable = new Set<string>(starts);
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of ids) {
      if (!reachable.has(id) && (deps.get(id) ?? []).every((d) => reachable.has(d))) {
        reachable.add(id);
        grew = true;
      }
    }
  }
  for (const id of ids) {
    if (!reachable.has(id)) {
      errors.push({
        path: `/steps/${indexOf.get(id)}`,
        message: `is never reached from a start step: ${id}`,
      });
    }
  }
  return errors;
}

/**
 * A cycle of the dependency graph, as the step ids along it (each depending on the next), or
 * undefined when the graph is acyclic. Iterative depth-first search: no recursion limit.
 */
export function findCycle(
  ids: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const root of ids) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'open');
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; next: number };
      const out = deps.get(top.id) ?? [];
      if (top.next >= out.length) {
        state.set(top.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const dep = out[top.next++] as string;
      const seen = state.get(dep);
      if (seen === 'open') return path.slice(path.indexOf(dep));
      if (seen === undefined) {
        state.set(dep, 'open');
        path.push(dep);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

/** base64url(SHA-256(RFC 8785 canonical JSON)): equal content, equal digest, whatever the file's layout. */
export function definitionDigest(definition: ServiceDefinitionInput): string {
  const text = canonicalize(definition);
  if (text === undefined) throw new TypeError('definition has no JSON representation');
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
