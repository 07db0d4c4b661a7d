// Fuzzing Zengin names (bank/zengin.ts): any text a TPP may send as a payee or remitter name is either
// normalised into the Zengin character set within its length, or refused with a reason and, for a
// character, its position — never an exception. A normalised name normalises to itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EDI_INFO_LENGTH_MAX, NAME_LENGTH_MAX, normaliseZenginText } from '../../src/bank/zengin.ts';
import { announceSeed, fuzzRuns } from './seed.ts';

const ZENGIN = /^[ｦｱ-ﾝﾞﾟA-Z0-9 ().\-/]+$/u;

/** Characters a Japanese name may hold, and some it must not: kana of every width and size, kanji, ASCII, symbols, emoji, controls. */
const nameCharacter = fc.oneof(
  fc.constantFrom(...'アイウエオガギパピャュョッヴーｰ－ぁあがぱゃゐゑ　（）ｱｶﾞﾊﾟ', ...'ABCxyz０１２ＡＢａｂ .-/()'),
  fc.constantFrom(...'山田花子銀行株式会社'),
  fc.constantFrom('\u0000', '\t', '\n', '\u200b', '\ufeff', '😀', '\ud800', '\u3099', '\uff9e', '@', '&', '_'),
  fc.string({ unit: 'grapheme', maxLength: 1 }),
);
const name = fc.oneof(fc.array(nameCharacter, { maxLength: 60 }).map((chars) => chars.join('')), fc.string({ unit: 'binary', maxLength: 260 }));

announceSeed('test/fuzz/zengin.test.ts');

test('a name is normalised into the Zengin set within its length, or refused with a reason; never an exception', () => {
  fc.assert(
    fc.property(name, fc.constantFrom(NAME_LENGTH_MAX, EDI_INFO_LENGTH_MAX), (input, lengthMax) => {
      const result = normaliseZenginText(input, lengthMax);
      if (result.ok) {
        assert.match(result.text, ZENGIN);
        assert.ok(result.text.length <= lengthMax);
        assert.deepEqual(normaliseZenginText(result.text, lengthMax), result, 'normalising twice changes nothing');
        return;
      }
      assert.ok(['empty', 'too-long', 'character'].includes(result.reason));
      assert.equal(typeof result.message, 'string');
      if (result.reason === 'character') {
        assert.ok(result.character !== undefined && input.includes(result.character), 'names a character of the input');
        assert.ok(result.position !== undefined && result.position >= 1 && result.position <= input.length);
      }
    }),
    fuzzRuns(5000),
  );
});
