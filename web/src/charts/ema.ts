/**
 * TensorBoard-style exponential moving average with debiasing (the first points are not pulled
 * towards 0). weight in [0, 1): 0 = no smoothing. Non-finite values pass through and do not
 * disturb the average; nulls (gaps) stay null.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((y) => {
    if (y === null || !Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}
