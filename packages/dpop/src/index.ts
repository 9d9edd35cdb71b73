export { DPOP_CHALLENGE, DPOP_ERRORS } from './errors.js';
export { type ProofAudience, proofHeaderDocs } from './openapi.js';
export { parsePublicUrls } from './public-urls.js';
export {
  type ProvenResidentRequest,
  RESIDENT_ERRORS,
  type ResidentProofOptions,
  requireResidentProof,
} from './resident-proof.js';
export { type DpopProofsTable, dpopProofsTable } from './table.js';
export {
  MAX_PROOF_AGE_SECONDS,
  MAX_PROOF_LENGTH,
  PROOF_ALGORITHMS,
  PROOF_CLOCK_TOLERANCE_SECONDS,
  type ProofRequest,
  proofRequestOf,
  type VerifiedProof,
  type VerifyProofOptions,
  verifyDpopProof,
} from './verify-proof.js';
