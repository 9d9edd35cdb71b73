import { toHex } from '@tongban/merkle-log';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccessLogEntry, leafHashOf, leafOf } from '../src/index.js';
import { anEntry } from './helpers.js';

const fixed: AccessLogEntry = {
  id: '01957a3c-8f00-7000-8000-000000000001',
  occurredAt: '2026-03-02T09:30:00.123Z',
  subjectId: 'sub-4f1c',
  readerKind: 'staff',
  reader: 'staff-civil-1',
  readerDepartment: 'civil_affairs',
  purpose: 'case:01957a3c-8f00-7000-8000-0000000000aa',
  caseId: '01957a3c-8f00-7000-8000-0000000000aa',
  recordId: '01957a3c-8f00-7000-8000-0000000000bb',
  recordType: 'birth_record',
  recordVersion: 2,
  fields: ['childName', 'birthDate'],
  outcome: 'released',
  denialCode: null,
};

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('leafOf', () => {
  it('is the RFC 8785 canonical JSON of the entry: sorted members, no spaces, nulls kept', () => {
    expect(text(leafOf(fixed))).toBe(
      '{"caseId":"01957a3c-8f00-7000-8000-0000000000aa","denialCode":null,' +
        '"fields":["childName","birthDate"],"id":"01957a3c-8f00-7000-8000-000000000001",' +
        '"occurredAt":"2026-03-02T09:30:00.123Z","outcome":"released",' +
        '"purpose":"case:01957a3c-8f00-7000-8000-0000000000aa","reader":"staff-civil-1",' +
        '"readerDepartment":"civil_affairs","readerKind":"staff",' +
        '"recordId":"01957a3c-8f00-7000-8000-0000000000bb","recordType":"birth_record",' +
        '"recordVersion":2,"subjectId":"sub-4f1c"}',
    );
  });

  it('hashes with the leaf prefix 0x00 (pinned, so the leaf format cannot drift silently)', async () => {
    // SHA-256(0x00 ‖ the text above), computed outside this code base (Python's hashlib).
    expect(toHex(await leafHashOf(fixed))).toBe(
      '79b64821876412a385aa6105b8ee94d8149d183fb6ebebf31bb96cad22bdec35',
    );
  });

  it('does not depend on the order members arrive in, and round-trips', () => {
    fc.assert(
      fc.property(anEntry, fc.integer(), (entry, seed) => {
        const shuffled = Object.fromEntries(
          Object.entries(entry).sort(
            ([a], [b]) => ((a.length * seed) % 7) - ((b.length * seed) % 7),
          ),
        ) as unknown as AccessLogEntry;
        expect(leafOf(shuffled)).toEqual(leafOf(entry));
        expect(JSON.parse(text(leafOf(entry)))).toEqual(entry);
      }),
      { numRuns: 200 },
    );
  });

  it('changes with any member: a value, a null made explicit, a field order', () => {
    fc.assert(
      fc.property(
        anEntry,
        fc.constantFrom(...(Object.keys(fixed) as (keyof AccessLogEntry)[])),
        (entry, key) => {
          const before = leafOf(entry);
          const value = entry[key];
          const changed =
            value === null
              ? 'x'
              : Array.isArray(value)
                ? [...value, 'extra']
                : typeof value === 'number'
                  ? value + 1
                  : `${String(value)}!`;
          expect(leafOf({ ...entry, [key]: changed } as AccessLogEntry)).not.toEqual(before);
          const { [key]: _dropped, ...without } = entry;
          expect(leafOf(without as unknown as AccessLogEntry)).not.toEqual(before);
        },
      ),
      { numRuns: 200 },
    );
    expect(leafOf({ ...fixed, fields: ['birthDate', 'childName'] })).not.toEqual(leafOf(fixed));
  });
});
