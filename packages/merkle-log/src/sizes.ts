// Tree sizes and indices are plain numbers. JavaScript's bitwise operators truncate to 32 bits,
// and a log may outgrow 2^31 entries, so the bit steps of RFC 9162 are written arithmetically
// and every size is checked to be a safe integer (2^53 entries is beyond any access log).

export function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export function isOdd(n: number): boolean {
  return n % 2 === 1;
}

export function half(n: number): number {
  return Math.floor(n / 2);
}

/** The largest power of two strictly smaller than n (n > 1): the split point k of §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
