import { randomBytes, randomInt } from 'node:crypto';
import { seal } from '@tongban/keys';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { STATUS_LIST_CAPACITY } from '@tongban/tokens';
import { randomToken, sha256 } from '../../crypto/secrets.js';
import { activationCodes, credentials, residents } from '../../db/schema.js';
import { problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { renderQr } from '../qr.js';
import {
  documentLookupHash,
  type IdDocumentType,
  maskDocumentNumber,
  normaliseDocumentNumber,
} from './id-document.js';

export const ACTIVATION_TTL_MS = 24 * 60 * 60_000;

export interface EnrolInput {
  readonly fullName: string;
  readonly birthDate: string;
  readonly phone: string;
  readonly idDocument: { readonly type: IdDocumentType; readonly number: string };
}

/**
 * Enrolment after in-person proofing at a counter: one resident, one credential, one activation
 * code. All three rows are written in one transaction; a second enrolment of the same document
 * is refused by the unique keyed hash, not by a read-then-write check.
 */
export async function enrolResident({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'secrets'>;
  input: EnrolInput;
}) {
  const { actor } = ctx;
  const now = ctx.clock();
  const number = normaliseDocumentNumber(input.idDocument.type, input.idDocument.number);
  const lookup = documentLookupHash(ctx.secrets, input.idDocument.type, number);
  // 96 random bits: the pseudonymous subject id that tokens carry instead of the ID number.
  const subjectId = randomToken(12);
  const credentialId = `cred_${randomToken(12)}`;
  const code = activationCode();
  const expiresAt = new Date(now.getTime() + ACTIVATION_TTL_MS);

  let statusIndex = 0;
  await withTransaction(ctx, async (ctx) => {
    const tx = ctx.db;
    const inserted = await tx
      .insert(residents)
      .values({
        subjectId,
        idDocumentType: input.idDocument.type,
        idLookupHash: lookup,
        idNumberEncrypted: seal(ctx.secrets.idEncryptionKey, number, subjectId),
        idNumberMasked: maskDocumentNumber(number),
        fullName: input.fullName.trim(),
        birthDate: input.birthDate,
        phone: input.phone,
        enrolledBy: actor.subject,
        enrolledDepartment: actor.department ?? 'unknown',
        createdAt: now,
      })
      .onConflictDoNothing({ target: residents.idLookupHash })
      .returning({ subjectId: residents.subjectId });
    if (inserted.length === 0) {
      throw problem('already_enrolled', 'This ID document is already enrolled.');
    }
    // Random, not sequential, status indexes (Token Status List §12.5 herd privacy): a list
    // position says nothing about when or where someone enrolled.
    for (let attempt = 0; ; attempt++) {
      statusIndex = randomInt(0, STATUS_LIST_CAPACITY);
      const placed = await tx
        .insert(credentials)
        .values({ id: credentialId, subjectId, statusIndex, issuedAt: now })
        .onConflictDoNothing({ target: credentials.statusIndex })
        .returning({ id: credentials.id });
      if (placed.length > 0) break;
      if (attempt >= 8) throw errors.internal();
    }
    await tx.insert(activationCodes).values({
      codeHash: sha256(normaliseActivationCode(code)),
      subjectId,
      expiresAt,
      createdBy: actor.subject,
      createdAt: now,
    });
    // Ids and codes only: the name, birth date, phone, ID number and activation code stay here.
    await recordChange(ctx, {
      aggregate: { type: 'resident', id: subjectId },
      type: 'resident.enrolled',
      data: { credentialId, idDocumentType: input.idDocument.type },
    });
  });

  return {
    subjectId,
    credential: { id: credentialId, statusIndex, status: 'valid' as const },
    activation: await printableActivation(code, expiresAt),
  };
}

/** The activation code as the counter prints it: the code, its deadline and its QR. */
export async function printableActivation(code: string, expiresAt: Date) {
  const qrText = `tongban:activate:${code}`;
  const [svg, png] = await Promise.all([renderQr(qrText, 'svg'), renderQr(qrText, 'png')]);
  return {
    code,
    expiresAt: expiresAt.toISOString(),
    qrText,
    qrSvg: svg.toString('utf8'),
    qrPng: `data:image/png;base64,${png.toString('base64')}`,
  };
}

// Crockford base32 without I, L, O, U: easy to read aloud and to type from paper.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 80 random bits as XXXX-XXXX-XXXX-XXXX. */
export function activationCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)?.join('-') ?? out;
}

export function normaliseActivationCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}
