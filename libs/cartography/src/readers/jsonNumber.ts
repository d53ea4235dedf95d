/** Exact powers of ten representable in a double (10^0 … 10^22). */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Result slot of `scanJsonNumber`: the value and the index just past the token. */
export interface ScannedNumber {
  value: number;
  end: number;
}

/**
 * Scans a JSON number token at `buf[p]` (stopping before `limit`) and writes its value and end
 * into `out`; returns false if the bytes there are not a JSON number. The value is bit-identical
 * to JSON.parse: with ≤ 15 significant digits and a decimal exponent within ±22 both the digits
 * and the power of ten are exact doubles, so one IEEE multiply or divide rounds correctly;
 * anything longer is handed to Number() on the token text.
 */
export function scanJsonNumber(buf: Buffer, p: number, limit: number, out: ScannedNumber): boolean {
  const start = p;
  let negative = false;
  if (p < limit && buf[p] === 45) {
    negative = true;
    p++;
  }
  if (p >= limit) return false;
  let mantissa = 0;
  let significant = 0;
  let exp10 = 0;
  let c = buf[p]!;
  if (c === 48) {
    p++;
  } else if (c >= 49 && c <= 57) {
    while (p < limit && (c = buf[p]!) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      significant++;
      p++;
    }
  } else {
    return false;
  }
  if (p < limit && buf[p] === 46) {
    p++;
    const fracStart = p;
    while (p < limit && (c = buf[p]!) >= 48 && c <= 57) {
      if (mantissa !== 0 || c !== 48) significant++;
      mantissa = mantissa * 10 + (c - 48);
      exp10--;
      p++;
    }
    if (p === fracStart) return false;
  }
  if (p < limit && (buf[p] === 101 || buf[p] === 69)) {
    p++;
    let expNegative = false;
    if (p < limit && (buf[p] === 43 || buf[p] === 45)) {
      expNegative = buf[p] === 45;
      p++;
    }
    const expStart = p;
    let e = 0;
    while (p < limit && (c = buf[p]!) >= 48 && c <= 57) {
      if (e < 100000) e = e * 10 + (c - 48);
      p++;
    }
    if (p === expStart) return false;
    exp10 += expNegative ? -e : e;
  }
  out.end = p;
  if (significant > 15 || exp10 > 22 || exp10 < -22) {
    out.value = Number(buf.toString("latin1", start, p));
    return true;
  }
  const magnitude = exp10 === 0 ? mantissa : exp10 > 0 ? mantissa * POW10[exp10]! : mantissa / POW10[-exp10]!;
  out.value = negative ? -magnitude : magnitude;
  return true;
}
