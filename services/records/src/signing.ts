// Everything records signs with `keys.sign` carries an `exp` of at most a day (a certificate is
// re-signed on request), plus the 30 s skew verifiers allow: a retired key stays in the JWKS this
// long. Access-log heads outlive it: they verify with the key history (ADR 0013), which tells a
// withdrawn key from a rotated one by this same overlap.
export const KEY_OVERLAP_MS = (24 * 3600 + 30) * 1000;
