// The other banks the sandbox can send to, with whether each takes part in the モアタイム system (24/7
// real-time credit). A real deployment reads the Zengin bank master; the sandbox keeps a short list.

export interface OtherBank {
  bankCode: string;
  bankName: string;
  moreTime: boolean;
}

const OTHER_BANKS: readonly OtherBank[] = [
  { bankCode: '0001', bankName: 'ﾐｽﾞﾎ', moreTime: true },
  { bankCode: '0005', bankName: 'ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ', moreTime: true },
  { bankCode: '0009', bankName: 'ﾐﾂｲｽﾐﾄﾓ', moreTime: true },
  { bankCode: '0310', bankName: 'ｼﾞ-ｴﾑｵ-ｱｵｿﾞﾗﾈﾂﾄ', moreTime: true },
  { bankCode: '9900', bankName: 'ﾕｳﾁﾖ', moreTime: true },
  /** A bank outside モアタイム: after the cut-off or on a holiday its transfers wait for the next business day. */
  { bankCode: '1999', bankName: 'ｻﾝﾄﾞﾎﾞﾂｸｽｼﾝｷﾝ', moreTime: false },
];

const BY_CODE = new Map(OTHER_BANKS.map((bank) => [bank.bankCode, bank]));

export function otherBankByCode(bankCode: string): OtherBank | undefined {
  return BY_CODE.get(bankCode);
}
