import { errors } from '@tongban/service-kit';
import { keyedHash, type Secrets } from '../../crypto/secrets.js';

export const ID_DOCUMENT_TYPES = [
  'resident_id_card',
  'passport',
  'hk_macao_permit',
  'taiwan_permit',
  'foreign_permanent_residence',
] as const;
export type IdDocumentType = (typeof ID_DOCUMENT_TYPES)[number];

// GB 11643-1999: 17 digits weighted mod 11, check character from this table.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function residentIdChecksumValid(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  return CHECK[sum % 11] === id[17];
}

/** Canonical form used for the keyed hash: one document, one spelling. */
export function normaliseDocumentNumber(
  type: IdDocumentType,
  raw: string,
  field = 'body.idDocument.number',
): string {
  const number = raw.replace(/[\s-]/g, '').toUpperCase();
  if (type === 'resident_id_card' && !residentIdChecksumValid(number)) {
    throw errors.validationFailed('The resident ID card number is not valid (check digit).', {
      errors: [{ field, message: 'fails the GB 11643 check digit' }],
    });
  }
  if (!/^[A-Z0-9]{5,32}$/.test(number)) {
    throw errors.validationFailed('The document number is not valid.', {
      errors: [{ field, message: 'must be 5–32 letters or digits' }],
    });
  }
  return number;
}

/** What pages may show: enough to tell two people apart at a counter, not enough to misuse. */
export function maskDocumentNumber(number: string): string {
  if (number.length <= 6) return `${number[0]}${'*'.repeat(number.length - 1)}`;
  return `${number.slice(0, 3)}${'*'.repeat(number.length - 7)}${number.slice(-4)}`;
}

/** The keyed hash a document is found by; only someone holding identity's key can compute it. */
export function documentLookupHash(
  secrets: Pick<Secrets, 'idLookupKey'>,
  type: IdDocumentType,
  normalisedNumber: string,
): string {
  return keyedHash(secrets.idLookupKey, `${type}:${normalisedNumber}`);
}
