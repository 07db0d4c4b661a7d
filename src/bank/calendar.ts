// The bank's business-day calendar (銀行法15条, 施行令5条): closed on Saturdays, Sundays, national
// holidays (including 振替休日 and 国民の休日) and 12/31–1/3. Holidays come from holidays-jp.json, a
// data table the operator extends each year; a date beyond the table is refused rather than guessed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addDays, dayOfWeek, parseDate } from './jst.ts';

interface HolidayTable {
  holidays: Record<string, string>;
}

function loadHolidayTable(): ReadonlyMap<string, string> {
  const table = JSON.parse(readFileSync(new URL('./holidays-jp.json', import.meta.url), 'utf8')) as HolidayTable;
  const entries = Object.entries(table.holidays);
  for (const [date, name] of entries) {
    assert.ok(parseDate(date) === date && typeof name === 'string' && name.length > 0, `holidays-jp.json: bad entry ${date}`);
  }
  return new Map(entries);
}

const HOLIDAYS = loadHolidayTable();
const YEARS = [...HOLIDAYS.keys()].map((date) => date.slice(0, 4));
/** The calendar answers for the years the table covers, and no others. */
export const CALENDAR_FIRST_DATE = `${YEARS.reduce((a, b) => (a < b ? a : b))}-01-01`;
export const CALENDAR_LAST_DATE = `${YEARS.reduce((a, b) => (a > b ? a : b))}-12-31`;
/** Searching for a business day never needs more than the longest closure (Golden Week plus weekend). */
const BUSINESS_DAY_SEARCH_DAYS_MAX = 14;

export function isCoveredByCalendar(date: string): boolean {
  return date >= CALENDAR_FIRST_DATE && date <= CALENDAR_LAST_DATE;
}

/** The holiday's name, when `date` is a national holiday. */
export function holidayName(date: string): string | undefined {
  return HOLIDAYS.get(date);
}

export function isBusinessDay(date: string): boolean {
  assert.ok(isCoveredByCalendar(date), `the bank calendar does not cover ${date} (holidays-jp.json)`);
  const weekday = dayOfWeek(date);
  if (weekday === 0 || weekday === 6) return false;
  const monthDay = date.slice(5);
  if (monthDay === '12-31' || monthDay <= '01-03') return false;
  return !HOLIDAYS.has(date);
}

/** `date` itself when it is a business day, else the nearest business day in the direction given. */
export function rollToBusinessDay(date: string, direction: 'next' | 'previous'): string {
  let day = date;
  for (let i = 0; i < BUSINESS_DAY_SEARCH_DAYS_MAX; i++) {
    if (isBusinessDay(day)) return day;
    day = addDays(day, direction === 'next' ? 1 : -1);
  }
  assert.fail(`no business day within ${BUSINESS_DAY_SEARCH_DAYS_MAX} days of ${date}`);
}

export function nextBusinessDayAfter(date: string): string {
  return rollToBusinessDay(addDays(date, 1), 'next');
}
