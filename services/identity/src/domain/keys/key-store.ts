import type { Db } from '@tongban/db';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { open, seal } from '../../crypto/secrets.js';
import { signingKeys } from '../../db/schema.js';

export type Clock = () => Date;

export interface KeyStoreOptions {
  readonly db: Db;
  readonly keyEncryptionKey: Buffer;
  readonly clock: Clock;
  /** Longest lifetime of anything a key signs, plus skew: a retired key stays published this long. */
  readonly overlapMs: number;
  /** A key older than this is rotated out automatically. */
  readonly maxAgeMs: number;
  /** How long a replica trusts its cached view of the key table. */
  readonly cacheMs?: number;
}

interface PublishedKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly key: CryptoKey;
  readonly publishedUntil: Date | null;
}

interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly createdAt: Date;
}

interface Snapshot {
  readonly loadedAt: number;
  readonly active: ActiveKey | undefined;
  readonly published: ReadonlyMap<string, PublishedKey>;
}

/**
 * The platform's Ed25519 signing keys, kept in the database (private halves sealed under the
 * key-encryption key) and cached per replica. One key signs at a time; a rotated-out key stays
 * in the JWKS until everything it signed has expired; a revoked key leaves it at once.
 */
export class SigningKeyStore {
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  private lastMissReloadAt = 0;

  constructor(private readonly options: KeyStoreOptions) {}

  /** At start: makes sure one key is active and not past its age. Safe in every replica at once. */
  async ensureActiveKey(): Promise<void> {
    const now = this.options.clock();
    await this.options.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtext('tongban.identity.signing-keys'))`,
      );
      const [active] = await tx
        .select()
        .from(signingKeys)
        .where(isNull(signingKeys.retiredAt))
        .orderBy(desc(signingKeys.createdAt))
        .limit(1);
      if (active && now.getTime() - active.createdAt.getTime() < this.options.maxAgeMs) return;
      await this.insertNewKey(tx as unknown as Db, now);
    });
    this.snapshot = undefined;
  }

  /** Makes a new key the signing key; the previous one keeps verifying until its tokens expire. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const now = this.options.clock();
    const result = await this.options.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtext('tongban.identity.signing-keys'))`,
      );
      return this.insertNewKey(tx as unknown as Db, now);
    });
    this.snapshot = undefined;
    return result;
  }

  /** Removes a key from the JWKS now (compromise): everything it signed stops verifying. */
  async revoke(kid: string): Promise<{ revoked: boolean; newKid?: string }> {
    const now = this.options.clock();
    const outcome = await this.options.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtext('tongban.identity.signing-keys'))`,
      );
      const [row] = await tx
        .update(signingKeys)
        .set({
          publishedUntil: now,
          retiredAt: sql`coalesce(${signingKeys.retiredAt}, ${now.toISOString()}::timestamptz)`,
        })
        .where(
          and(
            eq(signingKeys.kid, kid),
            or(isNull(signingKeys.publishedUntil), gt(signingKeys.publishedUntil, now)),
          ),
        )
        .returning();
      if (!row) return { revoked: false };
      const [active] = await tx
        .select()
        .from(signingKeys)
        .where(isNull(signingKeys.retiredAt))
        .limit(1);
      if (active) return { revoked: true };
      const { kid: newKid } = await this.insertNewKey(tx as unknown as Db, now);
      return { revoked: true, newKid };
    });
    this.snapshot = undefined;
    return outcome;
  }

  async signingKey(): Promise<ActiveKey> {
    const snapshot = await this.current();
    if (snapshot.active) return snapshot.active;
    await this.ensureActiveKey();
    const fresh = await this.current();
    if (!fresh.active) throw new Error('no active signing key');
    return fresh.active;
  }

  /** How old the key that signs now is, by the store's clock; undefined while none is active. */
  async activeKeyAgeMs(): Promise<number | undefined> {
    const { active } = await this.current();
    return active && this.options.clock().getTime() - active.createdAt.getTime();
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
        this.snapshot = undefined;
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

  private async current(): Promise<Snapshot> {
    const cacheMs = this.options.cacheMs ?? 10_000;
    if (this.snapshot && Date.now() - this.snapshot.loadedAt < cacheMs) return this.snapshot;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    this.snapshot = await this.loading;
    return this.snapshot;
  }

  private async load(): Promise<Snapshot> {
    const now = this.options.clock();
    const rows = await this.options.db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.publishedUntil), gt(signingKeys.publishedUntil, now)));
    const published = new Map<string, PublishedKey>();
    let active: ActiveKey | undefined;
    for (const row of rows) {
      const jwk = row.publicJwk as JWK;
      published.set(row.kid, {
        kid: row.kid,
        jwk,
        key: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
        publishedUntil: row.publishedUntil,
      });
      if (row.retiredAt === null && (!active || row.createdAt > active.createdAt)) {
        const privateJwk = JSON.parse(
          open(this.options.keyEncryptionKey, row.privateKeyEncrypted, row.kid).toString('utf8'),
        ) as JWK;
        active = {
          kid: row.kid,
          privateKey: (await importJWK(privateJwk, 'EdDSA')) as CryptoKey,
          createdAt: row.createdAt,
        };
      }
    }
    return { loadedAt: Date.now(), active, published };
  }

  private async insertNewKey(tx: Db, now: Date): Promise<{ kid: string; retired: string[] }> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    const publicJwk = await exportJWK(publicKey);
    // RFC 7638 thumbprint as kid: anyone can recompute it from the published key.
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const retired = await tx
      .update(signingKeys)
      .set({ retiredAt: now, publishedUntil: new Date(now.getTime() + this.options.overlapMs) })
      .where(isNull(signingKeys.retiredAt))
      .returning({ kid: signingKeys.kid });
    const privateJwk = await exportJWK(privateKey);
    await tx.insert(signingKeys).values({
      kid,
      publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
      privateKeyEncrypted: seal(this.options.keyEncryptionKey, JSON.stringify(privateJwk), kid),
      createdAt: now,
    });
    return { kid, retired: retired.map((r) => r.kid) };
  }
}
