export type {
  CalendarOptions,
  DayInfo,
  DayKind,
  FallbackEvent,
  WorkingDayCalendar,
} from './calendar.js';
export { createCalendar, DEFAULT_TIME_ZONE } from './calendar.js';
export type { CalendarDay, CalendarYear, DayName } from './data.js';
export {
  loadCalendarDirectory,
  loadCalendarYear,
  parseCalendarYear,
  shippedCalendars,
} from './data.js';
export type { LocalDate } from './dates.js';
export { CalendarDataError, CalendarRangeError } from './errors.js';
export type { PauseInterval, SlaInput, SlaStatus } from './sla.js';
export { slaDue, slaStatus, WORKING_DAY_MS } from './sla.js';
