import { isSafeText } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../src/db/schema.js';
import { manualClock, staffActor, writeEntries } from './helpers/access-log.js';
import { startTestApp, type TestApp } from './helpers/app.js';

// The entry is written with hand-written SQL (the hot path of every read): whatever it is given
// must come back from the table exactly, field names with quotes, backslashes, commas and braces
// included, on both engines.
describe('appendAccessEntry', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { clock });
  });
  afterAll(() => t.close());

  it('stores every column as given, any field names included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          // Field names are safe text (no control characters), as record types require.
          fc.string({ maxLength: 12, unit: 'grapheme' }).filter((name) => isSafeText(name)),
          { maxLength: 6 },
        ),
        fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
        async (fields, recordVersion) => {
          const [id] = await writeEntries(t.database.db, clock, [
            {
              actor: staffActor('civil_affairs', clock),
              entry: {
                subjectId: 'SubjectAbc012345',
                purpose: 'household_registration',
                caseId: recordVersion === undefined ? undefined : 'C-1',
                recordId: '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e2',
                typeCode: 'birth_record',
                recordVersion,
                fields,
                outcome: 'released',
              },
            },
          ]);
          const [row] = await t.database.db
            .select()
            .from(accessLog)
            .where(eq(accessLog.id, id ?? ''));
          expect(row).toMatchObject({
            subjectId: 'SubjectAbc012345',
            readerKind: 'staff',
            reader: 'clerk-civil_affairs',
            readerDepartment: 'civil_affairs',
            purpose: 'household_registration',
            caseId: recordVersion === undefined ? null : 'C-1',
            typeCode: 'birth_record',
            recordVersion: recordVersion ?? null,
            fields,
            outcome: 'released',
            denialCode: null,
            leafIndex: null,
          });
          expect(row?.occurredAt.getTime()).toBe(clock().getTime());
        },
      ),
      { numRuns: 60 },
    );
  });
});
