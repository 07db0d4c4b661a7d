// 更新系 APIs with GMO Aozora's paths and field names under /transfer: 振込手数料事前照会, 振込依頼,
// 振込依頼結果照会, 振込状況照会, 振込取消依頼. A requested transfer waits for the customer's approval
// (取引認証) through the authorization server: the TPP sends `authorization_details`
// [{"type":"jp_transfer","applyNo":…}] in its next authorization request (see auth/transfer-approval.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { jstDate, jstDateTime, jstTime, parseDate } from '../bank/jst.ts';
import { cancelTransfer } from '../bank/transfers/cancel.ts';
import { resultCodeOf, TRANSFER_STATUS, TRANSFER_STATUS_CODES } from '../bank/transfers/codes.ts';
import { TransferInputError, TransferRefusedError, type TransferInstruction, type TransferState } from '../bank/transfers/model.ts';
import type { TransferPolicy } from '../bank/transfers/policy.ts';
import { currentState, TRANSFER_PAGE_SIZE_MAX, transferOf, transferPage, type TransferRecord } from '../bank/transfers/queries.ts';
import { planTransfer, requestTransfer } from '../bank/transfers/request.ts';
import { isZenginAccountType } from '../bank/zengin.ts';
import { TRANSFERS_SCOPE } from '../auth/scopes.ts';
import type { Db } from '../store/db.ts';
import { accountNotAccessible, ApiError, validationError } from './errors.ts';
import { type BankAccess, bankAccessOf } from './guard.ts';
import { idempotentResponse } from './idempotency.ts';
import {
  ACCOUNT_ID,
  APPLY_NO,
  CancelBody,
  CancelResponse,
  DATE,
  RequestResultResponse,
  TransferFeeResponse,
  TransferRequestBody,
  TransferRequestResponse,
  TransferStatusResponse,
} from './transfer-schemas.ts';

export interface TransferRoutesOptions {
  db: Db;
  policy: TransferPolicy;
  clock: () => Date;
}

/** The RFC 9396 authorization_details type a TPP uses to have a transfer approved. */
export const TRANSFER_AUTHORIZATION_DETAILS_TYPE = 'jp_transfer';

const transferNotFound = () => new ApiError(404, 'E40402', '指定された振込は存在しません。');
const notCancellable = (message: string) => new ApiError(409, 'E40902', `この振込は取消できません（${message}）。`);

function instructionOf(body: TransferRequestBody): TransferInstruction {
  const item = body.transfers[0]!;
  if (body.totalAmount !== undefined && body.totalAmount !== item.transferAmount) {
    throw validationError('入力値が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'totalAmount differs from the transfer amount', path: '/body/totalAmount' }]);
  }
  const date = parseDate(body.transferDesignatedDate);
  if (date === undefined || !isZenginAccountType(item.accountTypeCode)) {
    throw validationError('入力値が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'not a calendar date', path: '/body/transferDesignatedDate' }]);
  }
  return {
    accountId: body.accountId,
    remitterName: body.remitterName,
    designatedDate: date,
    holidayCode: body.transferDateHolidayCode ?? '1',
    amountYen: Number(item.transferAmount),
    ediInfo: item.ediInfo,
    beneficiaryBankCode: item.beneficiaryBankCode,
    beneficiaryBankName: item.beneficiaryBankName,
    beneficiaryBranchCode: item.beneficiaryBranchCode,
    beneficiaryBranchName: item.beneficiaryBranchName,
    beneficiaryAccountType: item.accountTypeCode,
    beneficiaryAccountNumber: item.accountNumber,
    beneficiaryName: item.beneficiaryName,
  };
}

/** The domain's refusals in the API's words. */
async function asApiErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TransferInputError) {
      throw validationError(
        '振込内容が正しくありません。',
        error.problems.slice(0, 10).map((p) => ({ errorDetailsCode: 'E40001', errorDetailsMessage: p.message, path: `/body${p.path}` })),
      );
    }
    if (error instanceof TransferRefusedError) {
      if (error.reason === 'not-cancellable') throw notCancellable(error.message);
      throw transferNotFound();
    }
    throw error;
  }
}

function transferDetail(transfer: TransferRecord, now: Date) {
  const state = currentState(transfer, now);
  const executed = transfer.debit_entry_id !== null;
  return {
    transferStatus: TRANSFER_STATUS[state].code,
    transferStatusName: TRANSFER_STATUS[state].name,
    transferTypeName: '振込',
    transferDetailFee: String(transfer.fee_yen),
    totalDebitAmount: String(executed || state === 'reserved' ? transfer.transfer_amount_yen + transfer.fee_yen : 0),
    applyNo: transfer.apply_no,
    applyDatetime: jstDateTime(transfer.requested_at),
    ...(transfer.accept_no && transfer.authorised_at ? { acceptNo: transfer.accept_no, acceptDatetime: jstDateTime(transfer.authorised_at) } : {}),
    transferDesignatedDate: transfer.designated_date,
    executionDate: transfer.execution_date,
    ...(transfer.failure_reason ? { unableDetailInfos: [{ unableReason: transfer.failure_reason }] } : {}),
    transferInfos: [
      {
        itemId: '1',
        transferAmount: String(transfer.transfer_amount_yen),
        ...(transfer.edi_info ? { ediInfo: transfer.edi_info } : {}),
        beneficiaryBankCode: transfer.beneficiary_bank_code,
        beneficiaryBankName: transfer.beneficiary_bank_name,
        beneficiaryBranchCode: transfer.beneficiary_branch_code,
        beneficiaryBranchName: transfer.beneficiary_branch_name,
        accountTypeCode: transfer.beneficiary_account_type,
        accountNumber: transfer.beneficiary_account_number,
        beneficiaryName: transfer.beneficiary_name,
      },
    ],
  };
}

function requestResult(transfer: TransferRecord, now: Date) {
  const state = currentState(transfer, now);
  const resultCode = resultCodeOf(state);
  return {
    accountId: transfer.account_id,
    resultCode,
    applyNo: transfer.apply_no,
    ...(resultCode === '1' && transfer.authorised_at ? { applyEndDatetime: jstDateTime(transfer.authorised_at) } : {}),
  };
}

export const transferRoutes: FastifyPluginAsyncTypebox<TransferRoutesOptions> = async (app, { db, policy, clock }) => {
  const config = { requiredScope: TRANSFERS_SCOPE };

  function consented(access: BankAccess, accountId: string): void {
    if (!access.accountIds.includes(accountId)) throw accountNotAccessible();
  }

  app.post(
    '/transfer/transferfee',
    {
      config,
      schema: {
        operationId: 'quoteTransferFee',
        tags: ['transfers'],
        summary: '振込手数料事前照会 — the fee and execution date, no side effects',
        body: TransferRequestBody,
        response: { 200: TransferFeeResponse },
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      consented(access, request.body.accountId);
      const now = clock();
      const plan = await asApiErrors(() => planTransfer(db, policy, access, instructionOf(request.body), now));
      return {
        accountId: plan.debitAccount.accountId,
        baseDate: jstDate(now),
        baseTime: jstTime(now),
        totalFee: String(plan.feeYen),
        transferFeeDetails: [{ itemId: '1', transferFee: String(plan.feeYen) }],
        executionDate: plan.executionDate,
        sameDayCreditExpected: plan.sameDayCreditExpected,
      };
    },
  );

  app.post(
    '/transfer/request',
    {
      config,
      schema: {
        operationId: 'requestTransfer',
        tags: ['transfers'],
        summary: '振込依頼 — a transfer awaiting the customer’s approval (x-idempotency-key required)',
        description: 'Approve it by sending authorization_details [{"type":"jp_transfer","applyNo":…}] in the next authorization request.',
        body: TransferRequestBody,
        response: { 201: TransferRequestResponse },
      },
    },
    async (request, reply) => {
      const access = bankAccessOf(request);
      consented(access, request.body.accountId);
      const now = clock();
      return idempotentResponse(db, request, reply, access.clientId, now, async (trx) => {
        const requested = await asApiErrors(() => requestTransfer(trx, policy, access, instructionOf(request.body), now));
        return {
          statusCode: 201,
          body: {
            accountId: requested.plan.debitAccount.accountId,
            resultCode: '2',
            applyNo: requested.applyNo,
            authorizationExpiresAt: jstDateTime(requested.authorisationExpiresAt),
            authorizationHint: { authorizationDetailsType: TRANSFER_AUTHORIZATION_DETAILS_TYPE, applyNo: requested.applyNo },
            totalFee: String(requested.plan.feeYen),
            executionDate: requested.plan.executionDate,
          },
        };
      });
    },
  );

  app.get(
    '/transfer/request-result',
    {
      config,
      schema: {
        operationId: 'transferRequestResult',
        tags: ['transfers'],
        summary: '振込依頼結果照会 — approved, awaiting approval, or ended',
        querystring: Type.Object({ accountId: ACCOUNT_ID, applyNo: APPLY_NO }, { additionalProperties: false }),
        response: { 200: RequestResultResponse },
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      consented(access, request.query.accountId);
      const transfer = await transferOf(db, { ...access, accountId: request.query.accountId }, request.query.applyNo);
      if (!transfer) throw transferNotFound();
      return requestResult(transfer, clock());
    },
  );

  app.get(
    '/transfer/status',
    {
      config,
      schema: {
        operationId: 'transferStatus',
        tags: ['transfers'],
        summary: '振込状況照会 — one transfer by applyNo, or a page by date',
        response: { 200: TransferStatusResponse },
        querystring: Type.Object(
          {
            accountId: ACCOUNT_ID,
            queryKeyClass: Type.Union([Type.Literal('1'), Type.Literal('2')]),
            applyNo: Type.Optional(APPLY_NO),
            dateFrom: Type.Optional(DATE),
            dateTo: Type.Optional(DATE),
            requestTransferTerm: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')])),
            requestTransferStatus: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}(,[0-9]{1,2}){0,19}$' })),
            nextItemKey: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      const now = clock();
      const query = request.query;
      consented(access, query.accountId);
      const head = { acceptanceKeyClass: query.queryKeyClass, baseDate: jstDate(now), baseTime: jstTime(now) };
      if (query.queryKeyClass === '1') {
        if (!query.applyNo) throw validationError('入力値が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'applyNo is required with queryKeyClass 1', path: '/querystring/applyNo' }]);
        const transfer = await transferOf(db, { ...access, accountId: query.accountId }, query.applyNo);
        // 依頼中 transfers are not visible in status inquiry (GMO); request-result shows them.
        if (!transfer || currentState(transfer, now) === 'awaiting_authorisation') throw transferNotFound();
        return { ...head, count: '1', hasNext: false, transferDetails: [transferDetail(transfer, now)] };
      }
      const today = jstDate(now);
      const dateFrom = query.dateFrom ? parseDate(query.dateFrom) : today;
      const dateTo = query.dateTo ? parseDate(query.dateTo) : today;
      if (!dateFrom || !dateTo || dateFrom > dateTo) {
        throw validationError('日付が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'dateFrom and dateTo must be calendar dates, dateFrom ≤ dateTo', path: '/querystring/dateFrom' }]);
      }
      const wanted = query.requestTransferStatus?.split(',');
      if (wanted?.some((code) => !TRANSFER_STATUS_CODES.includes(code))) {
        throw validationError('入力値が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'unknown transferStatus code', path: '/querystring/requestTransferStatus' }]);
      }
      const states = (Object.keys(TRANSFER_STATUS) as TransferState[]).filter(
        (state) => state !== 'awaiting_authorisation' && (!wanted || wanted.includes(TRANSFER_STATUS[state].code)),
      );
      const offset = Number(query.nextItemKey ?? 0);
      const page = await transferPage(db, {
        clientId: access.clientId,
        customerId: access.customerId,
        accountId: query.accountId,
        dateFrom,
        dateTo,
        term: query.requestTransferTerm ?? '1',
        states,
        offset,
        pageSize: TRANSFER_PAGE_SIZE_MAX,
      });
      return {
        ...head,
        count: String(page.transfers.length),
        hasNext: page.hasNext,
        ...(page.hasNext ? { nextItemKey: String(offset + page.transfers.length) } : {}),
        transferDetails: page.transfers.map((transfer) => transferDetail(transfer, now)),
      };
    },
  );

  app.post(
    '/transfer/cancel',
    {
      config,
      schema: {
        operationId: 'cancelTransfer',
        tags: ['transfers'],
        summary: '振込取消依頼 — withdraw an unapproved or cancel a future-dated transfer (x-idempotency-key required)',
        body: CancelBody,
        response: { 200: CancelResponse },
      },
    },
    async (request, reply) => {
      const access = bankAccessOf(request);
      const now = clock();
      const body = request.body;
      consented(access, body.accountId);
      return idempotentResponse(db, request, reply, access.clientId, now, async (trx) => {
        const transfer = await transferOf(trx, { ...access, accountId: body.accountId }, body.applyNo);
        if (!transfer) throw transferNotFound();
        const state = currentState(transfer, now);
        const expected = body.cancelTargetKeyClass === '1' ? 'awaiting_authorisation' : 'reserved';
        if (state !== expected) throw notCancellable(`cancelTargetKeyClass ${body.cancelTargetKeyClass} cancels ${expected === 'reserved' ? 'a reservation (予約中)' : 'a transfer awaiting approval'}, this one is ${TRANSFER_STATUS[state].name}`);
        await asApiErrors(() => cancelTransfer(trx, { applyNo: body.applyNo, clientId: access.clientId, customerId: access.customerId, accountId: body.accountId }, now));
        return { statusCode: 200, body: { accountId: body.accountId, applyNo: body.applyNo, resultCode: '1', applyEndDatetime: jstDateTime(now) } };
      });
    },
  );
};
