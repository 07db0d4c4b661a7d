// Zengin payee names: normalised to half-width katakana (full-width → half-width, hiragana → katakana,
// small kana → large, long vowels → '-'), anything else refused with its position; codes and lengths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCOUNT_NUMBER_PATTERN, BANK_CODE_PATTERN, BRANCH_CODE_PATTERN, isZenginAccountType, normaliseZenginText } from '../src/bank/zengin.ts';

const ok = (input: string) => {
  const result = normaliseZenginText(input);
  assert.ok(result.ok, `${input}: ${!result.ok && result.message}`);
  return result.text;
};

describe('Zengin names', () => {
  test('full-width katakana, voiced and semi-voiced marks, small kana', () => {
    assert.equal(ok('キュウヨ'), 'ｷﾕｳﾖ');
    assert.equal(ok('スズキ　ハナコ'), 'ｽｽﾞｷ ﾊﾅｺ');
    assert.equal(ok('パン'), 'ﾊﾟﾝ');
    assert.equal(ok('ヴィッツ'), 'ｳﾞｲﾂﾂ');
    assert.equal(ok('ｷｭｳﾖ'), 'ｷﾕｳﾖ', 'half-width small kana too');
  });

  test('hiragana, full-width letters and digits, lower case, long vowels, corporate abbreviations', () => {
    assert.equal(ok('たなか たろう'), 'ﾀﾅｶ ﾀﾛｳ');
    assert.equal(ok('ＡＢＣ１２３'), 'ABC123');
    assert.equal(ok('abc'), 'ABC');
    assert.equal(ok('ジーエムオー'), 'ｼﾞ-ｴﾑｵ-');
    assert.equal(ok('カ）ギンコウシヨウジ'), 'ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ');
    assert.equal(ok('ｼﾞ-ｴﾑｵ-ｼｮｳｼﾞ(ｶ'), 'ｼﾞ-ｴﾑｵ-ｼﾖｳｼﾞ(ｶ');
  });

  test('characters outside the set are refused with their position in the input', () => {
    const kanji = normaliseZenginText('スズキ花子');
    assert.ok(!kanji.ok && kanji.reason === 'character' && kanji.position === 4 && kanji.character === '花');
    const comma = normaliseZenginText('ﾀﾅｶ,ﾀﾛｳ');
    assert.ok(!comma.ok && comma.position === 4);
    const emoji = normaliseZenginText('ﾀﾅｶ😀');
    assert.ok(!emoji.ok && emoji.position === 4);
    assert.ok(!normaliseZenginText('   ').ok);
  });

  test('lengths are counted after normalisation (a voiced kana is two characters)', () => {
    assert.ok(normaliseZenginText('ア'.repeat(48)).ok);
    assert.ok(!normaliseZenginText('ア'.repeat(49)).ok);
    const voiced = normaliseZenginText('ガ'.repeat(25));
    assert.ok(!voiced.ok && voiced.reason === 'too-long', '25 × ｶﾞ is 50 characters');
    assert.ok(!normaliseZenginText('ｱ'.repeat(21), 20).ok);
  });

  test('codes: bank 4, branch 3, account 7 digits; 預金種目 is 1 digit and not the 2-digit 科目コード', () => {
    assert.ok(BANK_CODE_PATTERN.test('0005') && !BANK_CODE_PATTERN.test('005') && !BANK_CODE_PATTERN.test('00005'));
    assert.ok(BRANCH_CODE_PATTERN.test('001') && !BRANCH_CODE_PATTERN.test('01'));
    assert.ok(ACCOUNT_NUMBER_PATTERN.test('0123456') && !ACCOUNT_NUMBER_PATTERN.test('123456'));
    for (const code of ['1', '2', '4', '9']) assert.ok(isZenginAccountType(code));
    for (const code of ['01', '02', '3', '0']) assert.ok(!isZenginAccountType(code));
  });
});
