// Zengin (全銀) rules for the payee side of a transfer: codes of fixed length, the 1-digit 預金種目 (kept
// apart from the bank's own 2-digit 科目コード), and names in the Zengin character set — half-width
// katakana without small kana, A–Z, 0–9, space and ( ) - . / — to which names are normalised first
// (full-width → half-width, hiragana → katakana, small kana → large, lower case → upper case).

/** 統一金融機関コード, 4 digits; 店番 3 digits; 口座番号 7 digits, zero-padded on the left. */
export const BANK_CODE_PATTERN = /^[0-9]{4}$/;
export const BRANCH_CODE_PATTERN = /^[0-9]{3}$/;
export const ACCOUNT_NUMBER_PATTERN = /^[0-9]{7}$/;

/** Zengin 預金種目 of a payee account: 1 普通, 2 当座, 4 貯蓄, 9 その他. Never the bank's 2-digit 科目コード. */
export const ZENGIN_ACCOUNT_TYPES = { '1': '普通', '2': '当座', '4': '貯蓄', '9': 'その他' } as const;
export type ZenginAccountType = keyof typeof ZENGIN_ACCOUNT_TYPES;

export function isZenginAccountType(code: string): code is ZenginAccountType {
  return Object.hasOwn(ZENGIN_ACCOUNT_TYPES, code);
}

/** Which of the bank's own 科目コード a Zengin 預金種目 can name (01/02 普通預金, 04 貯蓄預金). */
export const OWN_ACCOUNT_TYPES_BY_ZENGIN_TYPE: Readonly<Record<ZenginAccountType, readonly string[]>> = {
  '1': ['01', '02'],
  '2': [],
  '4': ['04'],
  '9': [],
};

/** GMO's limits (remitterName, beneficiaryName ≤ 48; ediInfo ≤ 20), counted after normalisation. */
export const NAME_LENGTH_MAX = 48;
export const EDI_INFO_LENGTH_MAX = 20;
/** Input longer than this is refused before it is looked at. */
const RAW_TEXT_LENGTH_MAX = 200;

const FULL_WIDTH_KANA = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン';
const HALF_WIDTH_KANA = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ';
const VOICED = 'ガギグゲゴザジズゼゾダヂヅデドバビブベボ';
const VOICED_BASE = 'ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ';
const SEMI_VOICED = 'パピプペポ';
const SEMI_VOICED_BASE = 'ﾊﾋﾌﾍﾎ';
/** Small kana, full- and half-width, to their large half-width forms (キュウヨ → ｷﾕｳﾖ). */
const SMALL_KANA = 'ァィゥェォャュョッヮｧｨｩｪｫｬｭｮｯ';
const SMALL_KANA_LARGE = 'ｱｲｳｴｵﾔﾕﾖﾂﾜｱｲｳｴｵﾔﾕﾖﾂ';
/** Long-vowel marks and dashes: banks write a half-width hyphen (ｼﾞ-ｴﾑｵ-). */
const DASHES = 'ーｰ－‐−–—';

const SINGLE = new Map<string, string>();
for (let i = 0; i < FULL_WIDTH_KANA.length; i++) SINGLE.set(FULL_WIDTH_KANA[i]!, HALF_WIDTH_KANA[i]!);
for (let i = 0; i < VOICED.length; i++) SINGLE.set(VOICED[i]!, `${VOICED_BASE[i]}ﾞ`);
for (let i = 0; i < SEMI_VOICED.length; i++) SINGLE.set(SEMI_VOICED[i]!, `${SEMI_VOICED_BASE[i]}ﾟ`);
for (let i = 0; i < SMALL_KANA.length; i++) SINGLE.set(SMALL_KANA[i]!, SMALL_KANA_LARGE[i]!);
for (const dash of DASHES) SINGLE.set(dash, '-');
SINGLE.set('ヴ', 'ｳﾞ');
SINGLE.set('゛', 'ﾞ');
SINGLE.set('゜', 'ﾟ');
SINGLE.set('　', ' ');
SINGLE.set('（', '(');
SINGLE.set('）', ')');

/** Half-width katakana U+FF66–FF9F without the small forms U+FF67–FF6F and the long-vowel mark U+FF70. */
const ZENGIN_CHARACTER = /^[ｦｱ-ﾝﾞﾟA-Z0-9 ().\-/]$/u;

/** One input character in its Zengin form (one or two characters), before the character-set check. */
function normaliseCharacter(char: string): string {
  const code = char.codePointAt(0)!;
  // Hiragana ぁ–ゖ share the katakana table's order, 0x60 code points lower.
  const katakana = code >= 0x3041 && code <= 0x3096 ? String.fromCodePoint(code + 0x60) : char;
  const mapped = SINGLE.get(katakana);
  if (mapped !== undefined) return mapped;
  // Full-width ASCII (！–～) to ASCII.
  const ascii = code >= 0xff01 && code <= 0xff5e ? String.fromCodePoint(code - 0xfee0) : katakana;
  return ascii >= 'a' && ascii <= 'z' ? ascii.toUpperCase() : ascii;
}

export type ZenginText = { ok: true; text: string } | { ok: false; reason: 'empty' | 'too-long' | 'character'; position?: number; character?: string; message: string };

/**
 * The name in the Zengin character set, or why it cannot be: the first offending character with its
 * 1-based position in the input as given, or a length beyond `lengthMax` after normalisation.
 */
export function normaliseZenginText(input: string, lengthMax = NAME_LENGTH_MAX): ZenginText {
  if (input.length > RAW_TEXT_LENGTH_MAX) return { ok: false, reason: 'too-long', message: `longer than ${lengthMax} characters` };
  const characters = [...input.trim()];
  if (characters.length === 0) return { ok: false, reason: 'empty', message: 'must not be empty' };
  let text = '';
  for (const [index, char] of characters.entries()) {
    const normalised = normaliseCharacter(char);
    if (![...normalised].every((c) => ZENGIN_CHARACTER.test(c))) {
      const position = index + 1 + (input.length - input.trimStart().length);
      return { ok: false, reason: 'character', position, character: char, message: `character '${char}' at position ${position} is not in the Zengin character set` };
    }
    text += normalised;
  }
  if (text.length > lengthMax) return { ok: false, reason: 'too-long', message: `longer than ${lengthMax} characters once in half-width katakana (${text.length})` };
  return { ok: true, text };
}
