/**
 * A service's application form, from the JSON Schema the catalogue publishes: each top-level
 * property becomes one labelled field. Strings, numbers and integers are inputs, enums selects,
 * `format: date` a date input; `required` is marked. Workflow checks the form again against the
 * same schema, so this only has to help the clerk, not to be the gate.
 */

export type FieldKind = 'text' | 'number' | 'integer' | 'select' | 'date';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly description?: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  readonly options?: readonly string[];
  readonly defaultValue?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
}

type Schema = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const numberOr = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** `floorAreaSqm` → "Floor area sqm": the property name, spaced, as a label. */
export function labelOf(name: string): string {
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The fields of a form schema, required ones first; unknown shapes are text inputs. */
export function fieldsOf(schema: unknown): FieldSpec[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((r): r is string => typeof r === 'string')
      : [],
  );
  // Stored schemas may come back with their keys reordered (PostgreSQL's jsonb sorts them), so
  // the required fields come first, in the order `required` lists them, then the others.
  const entries = Object.entries(schema.properties);
  const order = [...required];
  const rank = (name: string) => (required.has(name) ? order.indexOf(name) : order.length);
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return entries.map(([name, raw]) => {
    const property = isObject(raw) ? raw : {};
    const options = Array.isArray(property.enum)
      ? property.enum
          .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
          .map(String)
      : undefined;
    const kind: FieldKind = options
      ? 'select'
      : property.type === 'integer'
        ? 'integer'
        : property.type === 'number'
          ? 'number'
          : property.format === 'date'
            ? 'date'
            : 'text';
    const exclusiveMinimum = numberOr(property.exclusiveMinimum);
    const spec: FieldSpec = {
      name,
      label: typeof property.title === 'string' ? property.title : labelOf(name),
      kind,
      required: required.has(name),
      ...(typeof property.description === 'string' ? { description: property.description } : {}),
      ...(options ? { options } : {}),
      ...(property.default === undefined ? {} : { defaultValue: String(property.default) }),
      ...(numberOr(property.minLength) === undefined
        ? {}
        : { minLength: numberOr(property.minLength) }),
      ...(numberOr(property.maxLength) === undefined
        ? {}
        : { maxLength: numberOr(property.maxLength) }),
      ...(numberOr(property.minimum) === undefined
        ? exclusiveMinimum === undefined
          ? {}
          : { minimum: exclusiveMinimum }
        : { minimum: numberOr(property.minimum) }),
      ...(numberOr(property.maximum) === undefined ? {} : { maximum: numberOr(property.maximum) }),
      ...(typeof property.pattern === 'string' ? { pattern: property.pattern } : {}),
    };
    return spec;
  });
}

export interface CollectedForm {
  readonly form: Record<string, string | number>;
  /** Names of fields whose value is missing or not a number where one is needed. */
  readonly invalid: readonly string[];
}

/** The form body from what was typed: empty optional fields left out, numbers as numbers. */
export function collectForm(
  fields: readonly FieldSpec[],
  read: (name: string) => string,
): CollectedForm {
  const form: Record<string, string | number> = {};
  const invalid: string[] = [];
  for (const field of fields) {
    const raw = read(field.name);
    const value = field.kind === 'text' ? raw.trim() : raw;
    if (value === '') {
      if (field.required) invalid.push(field.name);
      continue;
    }
    if (field.kind === 'number' || field.kind === 'integer') {
      const n = Number(value);
      if (!Number.isFinite(n) || (field.kind === 'integer' && !Number.isInteger(n))) {
        invalid.push(field.name);
        continue;
      }
      form[field.name] = n;
    } else {
      form[field.name] = value;
    }
  }
  return { form, invalid };
}
