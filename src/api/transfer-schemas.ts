// The transfer APIs' request and response bodies (GMO Aozora field names; every value a string, amounts
// as digit strings), as TypeBox schemas: Fastify validates requests and serialises responses with them, and
// the OpenAPI document is generated from them.
import { Type, type Static } from 'typebox';

const digits = (min: number, max: number) => Type.String({ pattern: `^[0-9]{${min},${max}}$` });
const text = (maxLength: number) => Type.String({ maxLength });
export const ACCOUNT_ID_PATTERN = '^[0-9]{12}$';
export const ACCOUNT_ID = Type.String({ pattern: ACCOUNT_ID_PATTERN });
export const APPLY_NO = Type.String({ pattern: '^[0-9]{16}$' });
export const DATE = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
/** Yen as a string of digits: 1 to 999,999,999,999. */
const AMOUNT = Type.String({ pattern: '^[1-9][0-9]{0,11}$' });

const TransferItem = Type.Object(
  {
    itemId: Type.Optional(Type.Literal('1')),
    transferAmount: AMOUNT,
    ediInfo: Type.Optional(text(60)),
    beneficiaryBankCode: digits(4, 4),
    beneficiaryBankName: Type.Optional(text(30)),
    beneficiaryBranchCode: digits(3, 3),
    beneficiaryBranchName: Type.Optional(text(15)),
    accountTypeCode: Type.Union([Type.Literal('1'), Type.Literal('2'), Type.Literal('4'), Type.Literal('9')]),
    accountNumber: digits(7, 7),
    beneficiaryName: text(120),
  },
  { additionalProperties: false },
);

export const TransferRequestBody = Type.Object(
  {
    accountId: ACCOUNT_ID,
    remitterName: Type.Optional(text(120)),
    transferDesignatedDate: DATE,
    transferDateHolidayCode: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2'), Type.Literal('3')])),
    totalCount: Type.Optional(Type.Literal('1')),
    totalAmount: Type.Optional(AMOUNT),
    applyComment: Type.Optional(text(20)),
    // v1 takes one transfer per request, as research/bank-api.md §7.3 recommends.
    transfers: Type.Array(TransferItem, { minItems: 1, maxItems: 1 }),
  },
  { additionalProperties: false },
);
export type TransferRequestBody = Static<typeof TransferRequestBody>;

export const CancelBody = Type.Object(
  { accountId: ACCOUNT_ID, cancelTargetKeyClass: Type.Union([Type.Literal('1'), Type.Literal('2')]), applyNo: APPLY_NO },
  { additionalProperties: false },
);

const RESULT_CODE = Type.Union([Type.Literal('1'), Type.Literal('2'), Type.Literal('8')], { description: '1 完了 (approved: see the status), 2 未完了 (awaiting approval), 8 期限切 (expired, refused or withdrawn)' });
const YEN = Type.String({ pattern: '^[0-9]+$' });
const DATETIME = Type.String({ description: 'YYYY-MM-DDTHH:MM:SS+09:00' });

export const TransferFeeResponse = Type.Object({
  accountId: Type.String(),
  baseDate: Type.String(),
  baseTime: Type.String(),
  totalFee: YEN,
  transferFeeDetails: Type.Array(Type.Object({ itemId: Type.String(), transferFee: YEN })),
  executionDate: Type.String({ description: 'the business day the transfer would run on (after holiday and cut-off rules)' }),
  sameDayCreditExpected: Type.Boolean(),
});

export const TransferRequestResponse = Type.Object({
  accountId: Type.String(),
  resultCode: RESULT_CODE,
  applyNo: APPLY_NO,
  authorizationExpiresAt: DATETIME,
  authorizationHint: Type.Object({ authorizationDetailsType: Type.Literal('jp_transfer'), applyNo: APPLY_NO }),
  totalFee: YEN,
  executionDate: Type.String(),
});

export const RequestResultResponse = Type.Object({
  accountId: Type.String(),
  resultCode: RESULT_CODE,
  applyNo: APPLY_NO,
  applyEndDatetime: Type.Optional(DATETIME),
});

const TransferDetail = Type.Object({
  transferStatus: Type.String({ description: '3 差戻, 4 取下げ, 5 期限切れ, 8 予約取消, 11 予約中, 12 手続中, 20 手続済, 22 資金返却, 40 手続不成立' }),
  transferStatusName: Type.String(),
  transferTypeName: Type.String(),
  transferDetailFee: YEN,
  totalDebitAmount: YEN,
  applyNo: APPLY_NO,
  applyDatetime: DATETIME,
  acceptNo: Type.Optional(Type.String()),
  acceptDatetime: Type.Optional(DATETIME),
  transferDesignatedDate: Type.String(),
  executionDate: Type.String(),
  unableDetailInfos: Type.Optional(Type.Array(Type.Object({ unableReason: Type.String() }))),
  transferInfos: Type.Array(
    Type.Object({
      itemId: Type.String(),
      transferAmount: YEN,
      ediInfo: Type.Optional(Type.String()),
      beneficiaryBankCode: Type.String(),
      beneficiaryBankName: Type.String(),
      beneficiaryBranchCode: Type.String(),
      beneficiaryBranchName: Type.String(),
      accountTypeCode: Type.String(),
      accountNumber: Type.String(),
      beneficiaryName: Type.String(),
    }),
  ),
});

export const TransferStatusResponse = Type.Object({
  acceptanceKeyClass: Type.String(),
  baseDate: Type.String(),
  baseTime: Type.String(),
  count: Type.String(),
  hasNext: Type.Boolean(),
  nextItemKey: Type.Optional(Type.String()),
  transferDetails: Type.Array(TransferDetail),
});

export const CancelResponse = Type.Object({
  accountId: Type.String(),
  applyNo: APPLY_NO,
  resultCode: Type.Literal('1'),
  applyEndDatetime: DATETIME,
});
