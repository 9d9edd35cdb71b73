import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isInternalAddress, publicOnlyLookup, RefusedAddressError } from './address-policy.js';

export interface OutgoingWebhook {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What came back: a status, or an error that never reached one (refused, timeout, reset). */
export type SendResult = { readonly status: number } | { readonly error: string };

export type SendWebhook = (webhook: OutgoingWebhook) => Promise<SendResult>;

/**
 * POSTs with node:http(s): no redirects (a 3xx is a failed attempt, so a subscriber cannot bounce
 * the request inward), a deadline for the whole exchange, and, unless private addresses are
 * allowed, a check of the very address the socket connects to.
 */
export function httpSender(options: {
  readonly timeoutMs: number;
  readonly allowPrivateAddresses: boolean;
}): SendWebhook {
  return (webhook) =>
    new Promise<SendResult>((resolve) => {
      const url = new URL(webhook.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // Node connects to an IP literal without calling `lookup`, so check it here.
      if (!options.allowPrivateAddresses && isIP(host) !== 0 && isInternalAddress(host)) {
        resolve({ error: new RefusedAddressError(host).message });
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const req = send(url, {
        method: 'POST',
        headers: {
          ...webhook.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(webhook.body),
        },
        ...(options.allowPrivateAddresses ? {} : { lookup: publicOnlyLookup }),
      });
      const deadline = setTimeout(() => {
        req.destroy(new Error(`no response within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      req.on('response', (res) => {
        // The body is not needed; drain it so the socket is released.
        res.resume();
        res.on('end', () => finish({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => finish({ error: err.message }));
      });
      req.on('error', (err) => finish({ error: err.message }));
      req.end(webhook.body);
    });
}
