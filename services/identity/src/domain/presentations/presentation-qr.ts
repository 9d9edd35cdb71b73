import type { RequestContext } from '@tongban/service-kit';
import type { Actor, IdentityContext } from '../context.js';
import { type QrFormat, renderQr } from '../qr.js';
import { checkPresentationToken } from './verify-presentation.js';

/** Requests per minute per address on each QR route: a counter printer needs a handful. */
export const QR_RATE_LIMIT_PER_MINUTE = 30;

const MAX_CACHED_IMAGES = 256;

/**
 * Rendered presentation QR images, by format and token, each kept until its token expires: an
 * absolute time, never renewed by a hit, so nothing outlives the token it shows. Bounded in
 * count (oldest entry out first), so a flood of valid tokens costs memory only up to the bound.
 */
export class PresentationImageCache {
  private readonly entries = new Map<string, { image: Buffer; expiresAt: number }>();

  get(key: string, now: Date): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now.getTime() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.image;
  }

  set(key: string, image: Buffer, expiresAt: Date): void {
    if (this.entries.size >= MAX_CACHED_IMAGES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { image, expiresAt: expiresAt.getTime() });
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * A presentation token as a QR image, for clients that cannot render QR codes themselves. The
 * route is anonymous (the image shows only what its holder already has), so rendering — 20–50×
 * the CPU of signing a token — is spent only on a token this service issued: its signature, type
 * and issuer check out and it has not expired by the service's clock. A forgery, an oversized or
 * stale token is refused before any rendering; the route is also rate limited per address.
 */
export async function presentationQr({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> &
    Pick<IdentityContext, 'keys' | 'config' | 'presentationImages'>;
  input: { token: string; format: QrFormat };
}): Promise<Buffer> {
  const claims = await checkPresentationToken(ctx, input.token);
  const key = `${input.format}:${input.token}`;
  const cached = ctx.presentationImages.get(key, ctx.clock());
  if (cached) return cached;
  const image = await renderQr(input.token, input.format);
  ctx.presentationImages.set(key, image, new Date(claims.exp * 1000));
  return image;
}
