import { type TString, Type } from 'typebox';

/*
 * What no free-text field of the API accepts, whatever its length:
 * - C0 controls (U+0000–U+001F) and DEL, except TAB and LF where a field is multi-line. U+0000
 *   cannot be stored in PostgreSQL text at all; the others break logs, CSV exports and terminals.
 * - C1 controls (U+0080–U+009F).
 * - Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make
 *   text display in an order other than the one it is stored in (CVE-2021-42574, "Trojan Source").
 * - Lone surrogates (U+D800–U+DFFF unpaired), which cannot be encoded as UTF-8.
 *
 * The pattern is written with \uXXXX escapes only, so it reads the same in Ajv (which compiles
 * patterns with the `u` flag: a paired surrogate is one code point outside the refused range, an
 * unpaired one is not) and in the OpenAPI document (ECMA-262 regular expression, JSON Schema
 * 2020-12 §6.3.3). Everything else of Unicode is accepted: names are written in every script.
 */
const REFUSED_ALWAYS =
  '\\u000B-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF';

/** Single-line text: no C0 at all. */
export const SAFE_TEXT_PATTERN = `^[^\\u0000-\\u000A${REFUSED_ALWAYS}]*$`;
/** Multi-line text: TAB (U+0009) and LF (U+000A) allowed, CR and every other control not. */
export const SAFE_MULTILINE_TEXT_PATTERN = `^[^\\u0000-\\u0008${REFUSED_ALWAYS}]*$`;

const singleLine = new RegExp(SAFE_TEXT_PATTERN, 'u');
const multiLine = new RegExp(SAFE_MULTILINE_TEXT_PATTERN, 'u');

export interface SafeTextOptions {
  /** Required: no free-text field is unbounded. Counted in code points, as JSON Schema does. */
  readonly maxLength: number;
  /** Defaults to 1: an empty string is rarely meaningful; say 0 where it is. */
  readonly minLength?: number;
  /** Allows TAB and LF (and nothing else of C0): for notes, reasons and addresses. */
  readonly multiline?: boolean;
  readonly description?: string;
}

/**
 * A free-text string field: bounded, and refusing control characters, bidi overrides and lone
 * surrogates at the schema, so a hostile character is a 400 `validation_failed` naming the field
 * rather than an error wherever the text is later stored, batched or displayed. Identifiers,
 * codes, enums, UUIDs and dates use their own pattern or format instead.
 */
export function SafeText(options: SafeTextOptions): TString {
  if (!Number.isSafeInteger(options.maxLength) || options.maxLength < 1) {
    throw new Error('SafeText needs a positive maxLength');
  }
  return Type.String({
    minLength: options.minLength ?? 1,
    maxLength: options.maxLength,
    pattern: options.multiline ? SAFE_MULTILINE_TEXT_PATTERN : SAFE_TEXT_PATTERN,
    ...(options.description === undefined ? {} : { description: options.description }),
  });
}

/** The same rule as SafeText, for text that arrives outside a schema (nested JSON, files). */
export function isSafeText(value: string, options: { multiline?: boolean } = {}): boolean {
  return (options.multiline ? multiLine : singleLine).test(value);
}
