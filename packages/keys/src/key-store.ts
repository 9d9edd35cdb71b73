import type { Db } from '@tongban/db';
import type { KeyResolver } from '@tongban/tokens';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { type KeyHistoryEntry, signingKeyHistory } from './history.js';
import { open, seal } from './sealing.js';
import type { SigningKeysTable } from './table.js';

export type Clock = () => Date;

export interface KeyStoreOptions {
  readonly db: Db;
  /** The service's own table, made by `signingKeysTable(schema)`. */
  readonly table: SigningKeysTable;
  /**
   * Name of the advisory lock that serialises key changes, e.g. `tongban.records.signing-keys`.
   * One per service: replicas of one service agree on one new key, other services are not blocked.
   */
  readonly lockName: string;
  readonly keyEncryptionKey: Buffer;
  readonly clock: Clock;
  /** Longest lifetime of anything a key signs, plus skew: a retired key stays published this long. */
  readonly overlapMs: number;
  /** A key older than this is rotated out automatically. */
  readonly maxAgeMs: number;
  /**
   * How long a replica trusts its cached view of the key table, from when the view was read:
   * bounds how late a key revoked through another replica leaves this one's JWKS (default 10 s).
   */
  readonly cacheMs?: number;
}

interface PublishedKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly key: CryptoKey;
  readonly publishedUntil: Date | null;
}

export interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly createdAt: Date;
}

interface ActiveRow {
  readonly kid: string;
  readonly sealed: string;
  readonly createdAt: Date;
}

interface Snapshot {
  /** Wall time (ms) after which this view of the table is not used: set once, when its query began. */
  readonly expiresAt: number;
  readonly active: ActiveRow | undefined;
  readonly published: ReadonlyMap<string, PublishedKey>;
}

export interface SignInput {
  /** The JOSE `typ` header, e.g. `tb-record+jwt`; verifiers pin it per token kind. */
  readonly typ: string;
  readonly payload: JWTPayload;
  /**
   * Sets `exp`. Required, and at most the store's overlap: a retired key is published only that
   * long, so nothing it signed may outlive it (a long-lived document is re-signed on request).
   */
  readonly expiresInSeconds: number;
}

/**
 * A service's Ed25519 signing keys, kept in its database (private halves sealed under the
 * key-encryption key) and cached per replica. One key signs at a time; a rotated-out key stays
 * in the JWKS until everything it signed has expired; a revoked key leaves it at once.
 *
 * It is also a `KeyResolver` over its own published keys, so the service verifies what it signed
 * exactly as any other verifier would.
 */
export class SigningKeyStore implements KeyResolver {
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  // Bumped by every change this replica makes to the table; a load that began before a change
  // must not become the snapshot after it (it could still list a key revoked meanwhile).
  private generation = 0;
  private lastMissReloadAt = 0;
  private opened: { readonly kid: string; readonly key: Promise<ActiveKey> } | undefined;

  constructor(private readonly options: KeyStoreOptions) {}

  /** At start and on a timer: makes sure one key is active and not past its age. Safe in every replica at once. */
  async ensureActiveKey(): Promise<void> {
    const { table } = this.options;
    const now = this.options.clock();
    await this.options.db.transaction(async (tx) => {
      await this.lock(tx as unknown as Db);
      const [active] = await tx
        .select()
        .from(table)
        .where(isNull(table.retiredAt))
        .orderBy(desc(table.createdAt))
        .limit(1);
      if (active && now.getTime() - active.createdAt.getTime() < this.options.maxAgeMs) return;
      await this.insertNewKey(tx as unknown as Db, now);
    });
    this.invalidate();
  }

  /** Makes a new key the signing key; the previous one keeps verifying until its tokens expire. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const now = this.options.clock();
    const result = await this.options.db.transaction(async (tx) => {
      await this.lock(tx as unknown as Db);
      return this.insertNewKey(tx as unknown as Db, now);
    });
    this.invalidate();
    return result;
  }

  /** Removes a key from the JWKS now (compromise): everything it signed stops verifying. */
  async revoke(kid: string): Promise<{ revoked: boolean; newKid?: string }> {
    const { table } = this.options;
    const now = this.options.clock();
    const outcome = await this.options.db.transaction(async (tx) => {
      await this.lock(tx as unknown as Db);
      const [row] = await tx
        .update(table)
        .set({
          publishedUntil: now,
          retiredAt: sql`coalesce(${table.retiredAt}, ${now.toISOString()}::timestamptz)`,
        })
        .where(
          and(eq(table.kid, kid), or(isNull(table.publishedUntil), gt(table.publishedUntil, now))),
        )
        .returning();
      if (!row) return { revoked: false };
      const [active] = await tx.select().from(table).where(isNull(table.retiredAt)).limit(1);
      if (active) return { revoked: true };
      const { kid: newKid } = await this.insertNewKey(tx as unknown as Db, now);
      return { revoked: true, newKid };
    });
    this.invalidate();
    return outcome;
  }

  async signingKey(): Promise<ActiveKey> {
    let { active } = await this.current();
    if (!active) {
      await this.ensureActiveKey();
      ({ active } = await this.current());
      if (!active) throw new Error('no active signing key');
    }
    if (this.opened?.kid !== active.kid) {
      const row = active;
      const key = this.openPrivateKey(row);
      // A failed open (wrong master key) is not cached: the next call tries again and fails loudly.
      key.catch(() => {
        if (this.opened?.key === key) this.opened = undefined;
      });
      this.opened = { kid: row.kid, key };
    }
    return this.opened.key;
  }

  // Private halves are opened only to sign: publishing and verifying never need the master key.
  private async openPrivateKey(row: ActiveRow): Promise<ActiveKey> {
    const privateJwk = JSON.parse(
      open(this.options.keyEncryptionKey, row.sealed, row.kid).toString('utf8'),
    ) as JWK;
    return {
      kid: row.kid,
      privateKey: (await importJWK(privateJwk, 'EdDSA')) as CryptoKey,
      createdAt: row.createdAt,
    };
  }

  /** A compact JWS (EdDSA, `kid` in the header) over `payload`, with `iat` from the store's clock. */
  async sign({ typ, payload, expiresInSeconds }: SignInput): Promise<string> {
    if (
      !Number.isInteger(expiresInSeconds) ||
      expiresInSeconds <= 0 ||
      expiresInSeconds * 1000 > this.options.overlapMs
    ) {
      throw new RangeError(
        `expiresInSeconds must be a positive integer of at most ${Math.floor(this.options.overlapMs / 1000)} (the key overlap)`,
      );
    }
    const { kid, privateKey } = await this.signingKey();
    const iat = Math.floor(this.options.clock().getTime() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', typ, kid })
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresInSeconds)
      .sign(privateKey);
  }

  /** Age of the signing key by the store's clock; 0 before the first key exists. */
  async keyAgeSeconds(): Promise<number> {
    const { active } = await this.current();
    if (!active) return 0;
    return Math.max(0, (this.options.clock().getTime() - active.createdAt.getTime()) / 1000);
  }

  /**
   * The public key for a kid, if it is published. An unknown kid reloads the table at most once
   * a second, so a flood of made-up kids cannot turn into a flood of queries.
   */
  async resolve(kid: string): Promise<CryptoKey | undefined> {
    let snapshot = await this.current();
    if (!snapshot.published.has(kid)) {
      const nowMs = Date.now();
      if (nowMs - this.lastMissReloadAt >= 1000) {
        this.lastMissReloadAt = nowMs;
        this.invalidate();
        snapshot = await this.current();
      }
    }
    const entry = snapshot.published.get(kid);
    if (!entry) return undefined;
    if (entry.publishedUntil && entry.publishedUntil.getTime() <= this.options.clock().getTime()) {
      return undefined;
    }
    return entry.key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const snapshot = await this.current();
    const now = this.options.clock().getTime();
    return {
      keys: [...snapshot.published.values()]
        .filter((k) => !k.publishedUntil || k.publishedUntil.getTime() > now)
        .map((k) => k.jwk),
    };
  }

  /** Every key this store has signed with, withdrawn ones marked (see `signingKeyHistory`). */
  history(): Promise<KeyHistoryEntry[]> {
    const { db, table, overlapMs } = this.options;
    return signingKeyHistory({ db, table, overlapMs });
  }

  private async lock(tx: Db): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${this.options.lockName}))`);
  }

  private invalidate(): void {
    this.generation += 1;
    this.snapshot = undefined;
    this.loading = undefined;
  }

  // The cache's expiry is in wall time on purpose: it bounds how stale this replica's view of the
  // table may be in real seconds (what a revocation promises), which a test clock moved by hours
  // must not stretch or shrink. It is absolute: reads never extend it.
  private async current(): Promise<Snapshot> {
    if (this.snapshot && Date.now() < this.snapshot.expiresAt) return this.snapshot;
    const generation = this.generation;
    if (this.loading === undefined) {
      const loading = this.load().finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    const snapshot = await this.loading;
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }

  private async load(): Promise<Snapshot> {
    const { table } = this.options;
    const expiresAt = Date.now() + (this.options.cacheMs ?? 10_000);
    const now = this.options.clock();
    const rows = await this.options.db
      .select()
      .from(table)
      .where(or(isNull(table.publishedUntil), gt(table.publishedUntil, now)));
    const published = new Map<string, PublishedKey>();
    let active: ActiveRow | undefined;
    for (const row of rows) {
      const jwk = row.publicJwk as JWK;
      published.set(row.kid, {
        kid: row.kid,
        jwk,
        key: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
        publishedUntil: row.publishedUntil,
      });
      if (row.retiredAt === null && (!active || row.createdAt > active.createdAt)) {
        active = { kid: row.kid, sealed: row.privateKeyEncrypted, createdAt: row.createdAt };
      }
    }
    return { expiresAt, active, published };
  }

  private async insertNewKey(tx: Db, now: Date): Promise<{ kid: string; retired: string[] }> {
    const { table } = this.options;
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    const publicJwk = await exportJWK(publicKey);
    // RFC 7638 thumbprint as kid: anyone can recompute it from the published key.
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const retired = await tx
      .update(table)
      .set({ retiredAt: now, publishedUntil: new Date(now.getTime() + this.options.overlapMs) })
      .where(isNull(table.retiredAt))
      .returning({ kid: table.kid });
    const privateJwk = await exportJWK(privateKey);
    await tx.insert(table).values({
      kid,
      publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
      privateKeyEncrypted: seal(this.options.keyEncryptionKey, JSON.stringify(privateJwk), kid),
      createdAt: now,
    });
    return { kid, retired: retired.map((r) => r.kid) };
  }
}
