import { proofHeaderDocs } from '@tongban/dpop';

/**
 * The `DPoP` header of every route that takes a resident token, as records' OpenAPI document
 * describes it (RFC 9449). Records cannot see device revocation, so it does not promise that check.
 */
export const boundProofHeaders = proofHeaderDocs({
  service: 'records',
  publicUrlsVariable: 'RECORDS_PUBLIC_URLS',
  exampleOrigin: 'https://records.example.cn',
  checksDevice: false,
}).bound;
