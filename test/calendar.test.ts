// The bank calendar on real dates: weekends, national holidays, 振替休日, 国民の休日, 12/31–1/3; and the
// holiday table itself obeys the substitute-holiday rule (a holiday on Sunday moves to the next weekday
// that is not a holiday).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { holidayName, isBusinessDay, nextBusinessDayAfter, rollToBusinessDay } from '../src/bank/calendar.ts';
import { addDays, dayOfWeek } from '../src/bank/jst.ts';

const table = JSON.parse(readFileSync(new URL('../src/bank/holidays-jp.json', import.meta.url), 'utf8')).holidays as Record<string, string>;

describe('bank calendar', () => {
  test('substitute holidays and 国民の休日', () => {
    assert.equal(holidayName('2024-02-12'), '振替休日', '建国記念の日 2024 fell on a Sunday');
    assert.equal(holidayName('2025-11-24'), '振替休日', '勤労感謝の日 2025 fell on a Sunday');
    assert.equal(holidayName('2026-05-06'), '振替休日', 'こどもの日 week 2026: 憲法記念日 on Sunday');
    assert.equal(holidayName('2026-09-22'), '国民の休日', 'between 敬老の日 and 秋分の日');
    assert.equal(holidayName('2027-03-22'), '振替休日', '春分の日 2027 falls on a Sunday');
    for (const date of ['2024-02-12', '2025-11-24', '2026-09-22', '2026-11-23', '2027-03-22']) assert.equal(isBusinessDay(date), false, date);
  });

  test('weekends and the year-end closure; ordinary days', () => {
    for (const date of ['2026-11-21', '2026-11-22', '2025-12-31', '2026-01-01', '2026-01-02', '2026-01-03']) assert.equal(isBusinessDay(date), false, date);
    for (const date of ['2026-11-24', '2025-12-30', '2026-01-05', '2027-03-23']) assert.equal(isBusinessDay(date), true, date);
  });

  test('rolling to a business day', () => {
    assert.equal(nextBusinessDayAfter('2026-11-20'), '2026-11-24', 'Friday → Tuesday over a weekend and 勤労感謝の日');
    assert.equal(rollToBusinessDay('2026-05-03', 'next'), '2026-05-07', 'Golden Week');
    assert.equal(rollToBusinessDay('2026-05-03', 'previous'), '2026-05-01');
    assert.equal(rollToBusinessDay('2025-12-31', 'next'), '2026-01-05');
    assert.equal(rollToBusinessDay('2026-11-24', 'next'), '2026-11-24', 'a business day stays');
  });

  test('the table: every Sunday holiday has its substitute on the next non-holiday day', () => {
    for (const date of Object.keys(table)) {
      if (dayOfWeek(date) !== 0 || table[date] === '振替休日') continue;
      let substitute = addDays(date, 1);
      while (table[substitute] && table[substitute] !== '振替休日') substitute = addDays(substitute, 1);
      assert.equal(table[substitute], '振替休日', `${date} (${table[date]}) is a Sunday: ${substitute} must be 振替休日`);
    }
    for (const year of ['2024', '2025', '2026', '2027']) {
      assert.ok(Object.keys(table).filter((d) => d.startsWith(year)).length >= 16, `${year} has its holidays`);
    }
  });

  test('dates beyond the table are refused, not guessed', () => {
    assert.throws(() => isBusinessDay('2031-06-02'));
  });
});
