/** A calendar day in the calendar's time zone, `YYYY-MM-DD`. */
export type LocalDate = string;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The parts of a real Gregorian date, or undefined for anything else (2026-02-30, 2026-1-1…). */
export function parseLocalDate(
  date: string,
): { year: number; month: number; day: number } | undefined {
  const match = LOCAL_DATE.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (
    utc.getUTCFullYear() !== year ||
    utc.getUTCMonth() !== month - 1 ||
    utc.getUTCDate() !== day
  ) {
    return undefined;
  }
  return { year, month, day };
}

export function assertLocalDate(date: string): { year: number; month: number; day: number } {
  const parts = parseLocalDate(date);
  if (!parts) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return parts;
}

/** The date `days` calendar days after `date` (negative: before). Pure date arithmetic, no zone. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const { year, month, day } = assertLocalDate(date);
  return formatUtcDate(new Date(Date.UTC(year, month - 1, day + days)));
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: LocalDate): number {
  const { year, month, day } = assertLocalDate(date);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function formatUtcDate(d: Date): LocalDate {
  return d.toISOString().slice(0, 10);
}

export function assertInstant(instant: Date, what: string): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${what} is not a valid Date`);
  return ms;
}

const HOUR = 3_600_000;

/**
 * Converts instants to local dates and back in one IANA time zone, with Intl only (no offset
 * tables of our own). An unknown zone throws a RangeError here, at construction.
 */
export class ZoneClock {
  readonly #format: Intl.DateTimeFormat;
  readonly #starts = new Map<LocalDate, number>();

  constructor(readonly timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** The local calendar date at an instant. */
  localDateOf(ms: number): LocalDate {
    let year = '';
    let month = '';
    let day = '';
    for (const part of this.#format.formatToParts(ms)) {
      if (part.type === 'year') year = part.value;
      else if (part.type === 'month') month = part.value;
      else if (part.type === 'day') day = part.value;
    }
    return `${year.padStart(4, '0')}-${month}-${day}`;
  }

  /**
   * The first instant of a local date (its 00:00, or the first instant after a DST gap that
   * swallowed midnight). The local date only ever moves forward with time, so a binary search over
   * the ±15 h window around UTC midnight finds it exactly, whatever the zone's offset rules.
   */
  startOfDay(date: LocalDate): number {
    const cached = this.#starts.get(date);
    if (cached !== undefined) return cached;
    const { year, month, day } = assertLocalDate(date);
    const utcMidnight = Date.UTC(year, month - 1, day);
    let lo = utcMidnight - 15 * HOUR; // local date < date for every zone (offsets ≤ +14 h)
    let hi = utcMidnight + 13 * HOUR; // local date ≥ date for every zone (offsets ≥ −12 h)
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.localDateOf(mid) >= date) hi = mid;
      else lo = mid;
    }
    this.#starts.set(date, hi);
    return hi;
  }
}
