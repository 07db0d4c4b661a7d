// Japan Standard Time: UTC+9 all year (Japan has no daylight saving time), so a fixed offset is exact.
// Calendar dates travel as 'YYYY-MM-DD' strings; a JS Date would shift them by the process time zone.
import assert from 'node:assert/strict';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The calendar the bank accepts from the outside: wide enough for any account, narrow enough to never overflow. */
const EARLIEST_DATE = '1900-01-01';
const LATEST_DATE = '2999-12-31';

/** JST wall-clock fields of an instant, read from a Date shifted by the offset and viewed as UTC. */
function jstIso(instant: Date): string {
  assert.ok(Number.isFinite(instant.getTime()), 'invalid Date');
  const iso = new Date(instant.getTime() + JST_OFFSET_MS).toISOString();
  assert.match(iso, /^\d{4}-/, `instant ${iso} is outside the four-digit-year calendar`);
  return iso;
}

/** 'YYYY-MM-DD': the JST calendar date of an instant. */
export function jstDate(instant: Date): string {
  return jstIso(instant).slice(0, 10);
}

/** 'HH:MM:SS+09:00': the JST wall-clock time of an instant. */
export function jstTime(instant: Date): string {
  return `${jstIso(instant).slice(11, 19)}+09:00`;
}

/** 'YYYY-MM-DDTHH:MM:SS+09:00'. */
export function jstDateTime(instant: Date): string {
  return `${jstDate(instant)}T${jstTime(instant)}`;
}

/** Milliseconds of UTC midnight of a 'YYYY-MM-DD' date, or undefined when it is not a real calendar date. */
function utcMidnightMs(date: string): number | undefined {
  const match = DATE_PATTERN.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  // Date rolls 02-30 over to 03-02; a real date survives the round trip unchanged.
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  return probe.getTime();
}

function formatUtcMidnight(ms: number): string {
  const date = new Date(ms).toISOString().slice(0, 10);
  assert.match(date, DATE_PATTERN, `date arithmetic left the four-digit-year calendar: ${date}`);
  return date;
}

/**
 * A 'YYYY-MM-DD' string that names a real calendar date from EARLIEST_DATE to LATEST_DATE, returned as is;
 * undefined for anything else ('2024-02-30', '2024-2-1', ' 2024-01-01', '1899-12-31').
 */
export function parseDate(text: string): string | undefined {
  if (utcMidnightMs(text) === undefined) return undefined;
  if (text < EARLIEST_DATE || text > LATEST_DATE) return undefined;
  return text;
}

function requireDate(date: string): number {
  const ms = utcMidnightMs(date);
  assert.ok(ms !== undefined, `not a calendar date: ${date}`);
  return ms;
}

/** The date `days` calendar days after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  assert.ok(Number.isSafeInteger(days), `days must be an integer, got ${days}`);
  return formatUtcMidnight(requireDate(date) + days * DAY_MS);
}

/** The first day of the month `date` is in. */
export function firstDayOfMonth(date: string): string {
  requireDate(date);
  return `${date.slice(0, 8)}01`;
}

/** The instant of a JST wall-clock time on a date: `jstInstant('2024-04-25', 9, 30)` is 2024-04-25T00:30:00Z. */
export function jstInstant(date: string, hours = 0, minutes = 0, seconds = 0): Date {
  assert.ok(hours >= 0 && hours < 24 && minutes >= 0 && minutes < 60 && seconds >= 0 && seconds < 60, 'time of day out of range');
  return new Date(requireDate(date) - JST_OFFSET_MS + ((hours * 60 + minutes) * 60 + seconds) * 1000);
}

/** Day of the week of a calendar date: 0 Sunday … 6 Saturday. */
export function dayOfWeek(date: string): number {
  return new Date(requireDate(date)).getUTCDay();
}
