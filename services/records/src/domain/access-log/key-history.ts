import type { KeyHistory } from '@tongban/access-log';
import type { KeyHistoryEntry } from '@tongban/keys';

/** `KeyHistory` of `@tongban/access-log` as the API serializes it. */
type ApiKeyHistory = { keys: KeyHistory['keys'][number][] };

/**
 * The key history as `GET /v1/access-log/keys` publishes it and `@tongban/access-log` reads it:
 * every key records ever signed with, so a head verifies after its key left the JWKS (ADR 0013).
 */
export function toKeyHistory(entries: readonly KeyHistoryEntry[]): ApiKeyHistory {
  return {
    keys: entries.map((k) => ({
      kid: k.kid,
      jwk: k.jwk,
      signingFrom: k.signingFrom.toISOString(),
      signingUntil: k.signingUntil?.toISOString() ?? null,
      withdrawnAt: k.withdrawnAt?.toISOString() ?? null,
    })),
  };
}

/** Every key records signed with, withdrawn ones marked; public halves only. */
export async function getKeyHistory({
  keys,
}: {
  keys: { history(): Promise<KeyHistoryEntry[]> };
}): Promise<ApiKeyHistory> {
  return toKeyHistory(await keys.history());
}
