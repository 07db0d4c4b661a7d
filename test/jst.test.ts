import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, dayOfWeek, firstDayOfMonth, jstDate, jstDateTime, jstInstant, jstTime, parseDate } from '../src/bank/jst.ts';

test('JST is UTC+9 whatever the process time zone', () => {
  const instant = new Date('2024-12-31T15:00:00Z');
  assert.equal(jstDate(instant), '2025-01-01');
  assert.equal(jstTime(instant), '00:00:00+09:00');
  assert.equal(jstDateTime(instant), '2025-01-01T00:00:00+09:00');
  assert.equal(jstDate(new Date('2024-12-31T14:59:59.999Z')), '2024-12-31');
  assert.equal(jstInstant('2025-01-01').toISOString(), '2024-12-31T15:00:00.000Z');
  assert.equal(jstInstant('2024-04-25', 9, 30, 15).toISOString(), '2024-04-25T00:30:15.000Z');
});

test('parseDate accepts real calendar dates only', () => {
  for (const good of ['2024-02-29', '2025-12-31', '1900-01-01', '2999-12-31']) assert.equal(parseDate(good), good);
  for (const bad of ['2023-02-29', '2024-02-30', '2024-13-01', '2024-00-10', '2024-1-01', '2024-01-1', ' 2024-01-01', '2024-01-01 ', '2024/01/01', '20240101', '', '1899-12-31', '3000-01-01', '２０２４-01-01', '2024-01-01T00:00']) {
    assert.equal(parseDate(bad), undefined, bad);
  }
});

test('date arithmetic across months, leap years and years', () => {
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2024-02-29', 1), '2024-03-01');
  assert.equal(addDays('2025-01-01', -1), '2024-12-31');
  assert.equal(addDays('2024-06-15', -365), '2023-06-16');
  assert.equal(addDays('2024-01-01', 366), '2025-01-01');
  assert.equal(firstDayOfMonth('2025-06-15'), '2025-06-01');
  assert.equal(dayOfWeek('2025-06-15'), 0); // a Sunday
  assert.throws(() => addDays('2024-02-30', 1));
});
