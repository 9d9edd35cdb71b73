import { dpopProofsTable } from '@tongban/dpop';
import { signingKeysTable } from '@tongban/keys';
import { eventsTable, idempotencyKeysTable, outboxTable } from '@tongban/service-kit';
import { deliveriesTable, subscriptionsTable } from '@tongban/webhooks';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** Departments of the city; staff, clients and verifiers all belong to one. */
export const departments = identity.table(
  'departments',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [check('departments_code_format', sql`${t.code} ~ '^[a-z][a-z0-9_]{1,39}$'`)],
);

/** Staff accounts. The password hash is scrypt with its parameters (see domain/auth/passwords.ts). */
export const staff = identity.table(
  'staff',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    departmentCode: text('department_code')
      .notNull()
      .references(() => departments.code),
    roles: text('roles').array().notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    disabledAt: ts('disabled_at'),
  },
  (t) => [
    uniqueIndex('staff_username_key').on(t.username),
    check('staff_username_format', sql`${t.username} ~ '^[a-z0-9][a-z0-9._-]{2,63}$'`),
  ],
);

/**
 * Sign-in throttling counters, shared by every replica (ADR 0012). Three kinds of key:
 * `account:<username>` counts consecutive failures (blocked at 100 until an administrator
 * unlocks), `pair:<username> <address>` delays one address's guesses at one account
 * exponentially, and `address:<address>` limits one address's failures across accounts.
 */
export const loginFailures = identity.table('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: ts('window_started_at').notNull(),
  lockedUntil: ts('locked_until'),
});

/**
 * A department's sign-in policy. No row means the defaults: passwords allowed. The version
 * settles two administrators changing it at once.
 */
export const departmentSecurity = identity.table('department_security', {
  departmentCode: text('department_code')
    .primaryKey()
    .references(() => departments.code),
  requirePasskey: boolean('require_passkey').notNull().default(false),
  version: integer('version').notNull().default(1),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * Staff passkeys (WebAuthn credentials). The public key is the COSE key as the authenticator sent
 * it; the sign counter only moves up, so a counter that does not is a cloned authenticator.
 */
export const staffPasskeys = identity.table(
  'staff_passkeys',
  {
    id: text('id').primaryKey(),
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    signCount: bigint('sign_count', { mode: 'number' }).notNull(),
    transports: text('transports').array().notNull(),
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    label: text('label').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    uniqueIndex('staff_passkeys_credential_id_key').on(t.credentialId),
    index('staff_passkeys_staff_idx').on(t.staffId),
    check('staff_passkeys_sign_count_range', sql`${t.signCount} between 0 and 4294967295`),
  ],
);

/**
 * Open WebAuthn ceremonies. A challenge is used once (the finishing request deletes it) and only
 * before its absolute expiry; it lives in the database so any replica can finish a ceremony.
 */
export const passkeyChallenges = identity.table(
  'passkey_challenges',
  {
    challenge: text('challenge').primaryKey(),
    purpose: text('purpose').notNull(),
    staffId: text('staff_id').references(() => staff.id),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('passkey_challenges_expires_idx').on(t.expiresAt),
    check('passkey_challenges_purpose', sql`${t.purpose} in ('registration', 'authentication')`),
  ],
);

/**
 * Addresses a staff member has signed in from. They are spared the per-address throttles, so a
 * stranger elsewhere cannot keep the member out (NIST SP 800-63B-4 §3.2.2).
 */
export const staffKnownAddresses = identity.table(
  'staff_known_addresses',
  {
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    address: text('address').notNull(),
    lastSuccessAt: ts('last_success_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.staffId, t.address] })],
);

/** Every sign-in throttling decision about an account, for its department's administrators. */
export const loginThrottleEvents = identity.table(
  'login_throttle_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    departmentCode: text('department_code').notNull(),
    address: text('address'),
    decision: text('decision').notNull(),
    retryAfterSeconds: integer('retry_after_seconds'),
    actorId: text('actor_id'),
    at: ts('at').notNull(),
  },
  (t) => [index('login_throttle_events_department_idx').on(t.departmentCode, t.id)],
);

/** Department systems using OAuth 2.0 client credentials. */
export const clients = identity.table('clients', {
  clientId: text('client_id').primaryKey(),
  name: text('name').notNull(),
  departmentCode: text('department_code')
    .notNull()
    .references(() => departments.code),
  secretHash: text('secret_hash').notNull(),
  scopes: text('scopes').array().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  disabledAt: ts('disabled_at'),
});

/**
 * Residents. The ID number is never stored in clear: a keyed hash finds duplicates, an AES-GCM
 * ciphertext keeps it for the rare display, and a masked form is what pages show.
 */
export const residents = identity.table(
  'residents',
  {
    subjectId: text('subject_id').primaryKey(),
    idDocumentType: text('id_document_type').notNull(),
    idLookupHash: text('id_lookup_hash').notNull(),
    idNumberEncrypted: text('id_number_encrypted').notNull(),
    idNumberMasked: text('id_number_masked').notNull(),
    fullName: text('full_name').notNull(),
    birthDate: date('birth_date').notNull(),
    phone: text('phone').notNull(),
    enrolledBy: text('enrolled_by').notNull(),
    enrolledDepartment: text('enrolled_department').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('residents_id_lookup_hash_key').on(t.idLookupHash)],
);

/** A resident's e-ID credential; its status is published in a Token Status List at status_index. */
export const credentials = identity.table(
  'credentials',
  {
    id: text('id').primaryKey(),
    subjectId: text('subject_id')
      .notNull()
      .references(() => residents.subjectId),
    statusIndex: integer('status_index').notNull(),
    status: text('status').notNull().default('valid'),
    version: integer('version').notNull().default(1),
    issuedAt: ts('issued_at').notNull().defaultNow(),
    statusChangedAt: ts('status_changed_at'),
    statusReason: text('status_reason'),
  },
  (t) => [
    uniqueIndex('credentials_status_index_key').on(t.statusIndex),
    index('credentials_subject_idx').on(t.subjectId),
    check('credentials_status', sql`${t.status} in ('valid', 'revoked', 'suspended')`),
    check('credentials_status_index_range', sql`${t.statusIndex} >= 0`),
  ],
);

/** Append-only history of credential status changes: who, when, why. */
export const credentialEvents = identity.table('credential_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  credentialId: text('credential_id')
    .notNull()
    .references(() => credentials.id),
  action: text('action').notNull(),
  fromStatus: text('from_status').notNull(),
  toStatus: text('to_status').notNull(),
  reason: text('reason').notNull(),
  actorId: text('actor_id').notNull(),
  actorDepartment: text('actor_department').notNull(),
  at: ts('at').notNull().defaultNow(),
});

/** One-time activation codes printed at enrolment; only a hash is kept. */
export const activationCodes = identity.table('activation_codes', {
  codeHash: text('code_hash').primaryKey(),
  subjectId: text('subject_id')
    .notNull()
    .references(() => residents.subjectId),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  createdBy: text('created_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Resident devices: the public half of a key pair that never left the device. */
export const devices = identity.table(
  'devices',
  {
    id: text('id').primaryKey(),
    subjectId: text('subject_id')
      .notNull()
      .references(() => residents.subjectId),
    keyId: text('key_id').notNull(),
    jkt: text('jkt').notNull(),
    publicJwk: jsonb('public_jwk').notNull(),
    label: text('label').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
    /** Who revoked it: the resident from a device, or a counter clerk after checking the person. */
    revokedBy: text('revoked_by'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    uniqueIndex('devices_jkt_key').on(t.jkt),
    uniqueIndex('devices_subject_key_id_key').on(t.subjectId, t.keyId),
  ],
);

/** Device-proof ids seen recently: a proof is accepted once (RFC 9449 §11.1). */
export const proofJtis = dpopProofsTable(identity);

/**
 * Every successful verification of a resident: a scanned presentation (method `presentation`),
 * or an ID card checked by a clerk at a counter (`in_person`, no token and no device). The unique
 * jti is what makes a QR single use: the insert that wins the race is the one verification;
 * every other gets a conflict.
 */
export const verifications = identity.table(
  'verifications',
  {
    id: text('id').primaryKey(),
    method: text('method').notNull().default('presentation'),
    jti: text('jti'),
    subjectId: text('subject_id').notNull(),
    credentialId: text('credential_id').notNull(),
    deviceId: text('device_id'),
    verifierKind: text('verifier_kind').notNull(),
    verifierId: text('verifier_id').notNull(),
    verifierDepartment: text('verifier_department').notNull(),
    counter: text('counter'),
    verifiedAt: ts('verified_at').notNull(),
  },
  (t) => [
    uniqueIndex('verifications_jti_key').on(t.jti),
    index('verifications_subject_idx').on(t.subjectId, t.verifiedAt),
    check('verifications_method', sql`${t.method} in ('presentation', 'in_person')`),
    check(
      'verifications_presentation_has_token',
      sql`${t.method} <> 'presentation' or (${t.jti} is not null and ${t.deviceId} is not null)`,
    ),
  ],
);

/** Identity's Ed25519 signing keys (access tokens, presentation tokens, status lists). */
export const signingKeys = signingKeysTable(identity);

/** Which resident attributes a department's verifiers see after a scan. */
export const attributePolicies = identity.table('attribute_policies', {
  departmentCode: text('department_code')
    .primaryKey()
    .references(() => departments.code),
  attributes: text('attributes').array().notNull(),
});

/** Responses of creating POSTs sent with an Idempotency-Key, replayed to retries for 24 h. */
export const idempotencyKeys = idempotencyKeysTable(identity);

/** Every state change, append-only; and what of it still has to leave the service. */
export const events = eventsTable(identity);
export const outbox = outboxTable(identity);

/** Webhook subscriptions of department systems, and each event's delivery to each of them. */
export const subscriptions = subscriptionsTable(identity);
export const deliveries = deliveriesTable(identity);
