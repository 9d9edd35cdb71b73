import type { Db } from '@tongban/db';

/*
 * Transactions this kit opened. A handle in this set is a transaction that is still running, so
 * work handed it joins it instead of opening another (drizzle would nest a SAVEPOINT, which lets
 * an inner failure be swallowed while the outer part commits). A WeakSet brands the handle
 * itself, so nothing about the driver's classes needs to be inspected.
 */
const open = new WeakSet<object>();

/** Brands `tx` as a running transaction for the duration of `fn`. */
export async function inTransaction<T>(tx: object, fn: () => Promise<T>): Promise<T> {
  open.add(tx);
  try {
    return await fn();
  } finally {
    open.delete(tx);
  }
}

/** True when `db` is a transaction this kit opened and has not finished. */
export function isOpenTransaction(db: object): boolean {
  return open.has(db);
}

/**
 * Runs `fn` with a context whose `db` is a transaction. When `ctx.db` already is one (the
 * Idempotency-Key transaction, or an outer `withTransaction`), `fn` joins it: the key, the change,
 * its event and its outbox row then commit or roll back together.
 */
export async function withTransaction<TCtx extends { readonly db: Db }, T>(
  ctx: TCtx,
  fn: (ctx: TCtx) => Promise<T>,
): Promise<T> {
  if (open.has(ctx.db)) return fn(ctx);
  return ctx.db.transaction((tx) => inTransaction(tx, () => fn({ ...ctx, db: tx })));
}
