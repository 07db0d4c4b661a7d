// A TPP's side of a transfer: the authorization request that carries `authorization_details`
// [{type:'jp_transfer', applyNo}], and the customer approving it on the bank's page with a one-time code.
import { randomUUID } from 'node:crypto';
import { jstDate } from '../../src/bank/jst.ts';
import { CustomerBrowser, type Page } from './browser.ts';
import { nextTotpCode } from './authenticator.ts';
import { logIn } from './passkeys.ts';
import { expectPage, type TestTpp, type Tokens, type Variant } from './tpp.ts';

export const PAR_JARM: Variant = { requestMethod: 'par', responseMode: 'jarm' };

export function transferDetails(applyNo: string, bound: Record<string, string> = {}): object[] {
  return [{ type: 'jp_transfer', applyNo, ...bound }];
}

export interface ApprovalRun {
  /** The login page and the approval page as the customer saw them. */
  login: Page;
  page: Page;
  /** Where the bank sent the browser back to the TPP. */
  tppUrl: string;
  checks: { state: string; nonce: string; codeVerifier: string };
}

export type ApprovalAction = { approve: true; code?: string } | { refuse: true };

/**
 * Logs in as the customer and acts on the approval page: `approve` with a fresh code (or `code`), or
 * `refuse`. Throws when the bank shows something other than the approval page.
 */
export async function customerActsOnTransfer(
  tpp: TestTpp,
  applyNo: string,
  customer: { loginId: string; password: string },
  action: ApprovalAction,
  variant: Variant = PAR_JARM,
  bound: Record<string, string> = {},
): Promise<ApprovalRun> {
  const { url, checks } = await tpp.authorizationUrl({ ...variant, scope: 'openid', authorizationDetails: transferDetails(applyNo, bound) });
  return { ...(await customerActsOnApprovalPage(tpp.endpoints.caCertificatePem, tpp.redirectUri, url, customer, action)), checks };
}

/** The customer's side alone, from the authorization URL of any TPP (FAPI 1.0 or 2.0) to its redirect URI. */
export async function customerActsOnApprovalPage(
  caCertificatePem: string,
  redirectUri: string,
  url: URL,
  customer: { loginId: string; password: string },
  action: ApprovalAction,
): Promise<Omit<ApprovalRun, 'checks'>> {
  const browser = new CustomerBrowser(caCertificatePem, redirectUri);
  try {
    const login = expectPage(await browser.open(url.href), 'login');
    const page = expectPage(await logIn(browser, login, customer), 'transfer approval');
    const done =
      'refuse' in action
        ? await browser.submit(page, '/refuse', {})
        : await browser.submit(page, '/approve-transfer', { totp: action.code ?? (await nextTotpCode(customer.loginId)) });
    if (!('tppUrl' in done)) throw new Error(`the bank did not return to the TPP (${done.status}):\n${done.html}`);
    return { login, page, tppUrl: done.tppUrl };
  } finally {
    await browser.close();
  }
}

/** The whole approval, ending with the TPP redeeming the code as after any authorization. */
export async function approveTransfer(tpp: TestTpp, applyNo: string, customer: { loginId: string; password: string }, variant: Variant = PAR_JARM): Promise<Tokens & { page: Page; login: Page }> {
  const run = await customerActsOnTransfer(tpp, applyNo, customer, { approve: true }, variant);
  return { ...(await tpp.redeem(run.tppUrl, run.checks, variant)), page: run.page, login: run.login };
}

/** 振込依頼 of `amountYen` from `accountId` to the sandbox's other-branch payee; the applyNo to approve. */
export async function requestTransfer(tpp: TestTpp, accessToken: string, accountId: string, amountYen: number): Promise<string> {
  const created = await tpp.post(
    '/transfer/request',
    accessToken,
    {
      accountId,
      transferDesignatedDate: jstDate(new Date()),
      transfers: [{ transferAmount: String(amountYen), beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', accountTypeCode: '1', accountNumber: '2345678', beneficiaryName: 'スズキ ハナコ' }],
    },
    { 'x-idempotency-key': randomUUID() },
  );
  if (created.status !== 201) throw new Error(`the transfer request was refused (${created.status}): ${JSON.stringify(created.body)}`);
  return created.body.applyNo as string;
}
