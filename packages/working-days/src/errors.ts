/** The calendar data (a file or an object) is malformed; the message names the file and the entry. */
export class CalendarDataError extends Error {
  readonly code = 'calendar_data_invalid';
  override readonly name = 'CalendarDataError';
}

/** A computation needed a day in a year the calendar has no data for. */
export class CalendarRangeError extends Error {
  readonly code = 'calendar_year_unknown';
  override readonly name = 'CalendarRangeError';
  constructor(
    readonly date: string,
    readonly knownYears: readonly number[],
  ) {
    super(
      `no holiday calendar for ${date.slice(0, 4)} (day ${date}); known years: ${
        knownYears.length > 0 ? knownYears.join(', ') : 'none'
      }. Add calendars/cn-${date.slice(0, 4)}.json once the State Council publishes it.`,
    );
  }
}
