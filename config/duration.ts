/**
 * Durations as Vault writes them: `300`, `300s`, `5m`, `1h30m`, `7d`.
 * Vault also takes fractions and `ms`; MAAS roles never need them, and refusing them keeps
 * the accepted language small enough to check completely.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(?:\d+|(?:\d+[smhd])+)$/;
const PART = /(\d+)([smhd])/g;

export function isDurationSyntax(text: string): boolean {
  return DURATION.test(text);
}

/** Seconds in `text`, or undefined when `text` is not a duration in the accepted form. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  if (/^\d+$/.test(text)) return checkedSeconds(Number(text));
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_SECONDS[unit];
  return checkedSeconds(total);
}

function checkedSeconds(seconds: number): number | undefined {
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** `300` -> `5m`, `5400` -> `1h30m`: the shortest form a person reads back. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
