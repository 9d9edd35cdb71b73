import type { Db } from '@tongban/db';
import { errors, type RequestContext } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import type { Secrets } from '../../crypto/secrets.js';
import { residents } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { documentLookupHash, type IdDocumentType, normaliseDocumentNumber } from './id-document.js';

export interface DocumentInput {
  readonly idDocumentType: IdDocumentType;
  readonly idNumber: string;
}

/**
 * The resident holding this document, found by its keyed hash: the number itself is never
 * compared or stored in clear. Unknown → 404 and nothing more, so a counter learns only whether
 * the person in front of it is enrolled.
 */
export async function residentByDocument(
  db: Db,
  secrets: Pick<Secrets, 'idLookupKey'>,
  input: DocumentInput,
) {
  const number = normaliseDocumentNumber(input.idDocumentType, input.idNumber, 'body.idNumber');
  const [row] = await db
    .select()
    .from(residents)
    .where(eq(residents.idLookupHash, documentLookupHash(secrets, input.idDocumentType, number)))
    .limit(1);
  if (!row) throw errors.notFound('No resident is enrolled with this document.');
  return row;
}

/** The resident with this subject id, or 404. */
export async function residentBySubject(db: Db, subjectId: string) {
  const [row] = await db
    .select()
    .from(residents)
    .where(eq(residents.subjectId, subjectId))
    .limit(1);
  if (!row) throw errors.notFound('No such resident.');
  return row;
}

/** A counter clerk, with the ID card in hand, finds the subject id to act on. */
export async function lookupResident({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & { readonly secrets: Pick<Secrets, 'idLookupKey'> };
  input: DocumentInput;
}) {
  const row = await residentByDocument(ctx.db, ctx.secrets, input);
  return {
    subjectId: row.subjectId,
    idDocumentType: row.idDocumentType,
    idNumberMasked: row.idNumberMasked,
  };
}
