import { errors, type RequestContext } from '@tongban/service-kit';
import type { Actor } from '../context.js';
import { type QrFormat, renderQr } from '../qr.js';

/**
 * A presentation token as a QR image, for print and for clients that cannot render QR codes
 * themselves. Only something shaped like a compact JWS is rendered: this is not a general QR
 * service, and it renders only what the caller already holds.
 */
export async function presentationQr({
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: { token: string; format: QrFormat };
}): Promise<Buffer> {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(input.token)) {
    throw errors.validationFailed('Not a presentation token.', {
      errors: [{ field: 'params.token', message: 'is not a compact JWS' }],
    });
  }
  return renderQr(input.token, input.format);
}
