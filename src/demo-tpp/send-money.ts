// Sending money (更新系): the demo requests the transfer with its link's token (振込依頼), then sends the customer
// to the bank with authorization_details [{type:'jp_transfer', applyNo}] — the bank shows the amount, fee and
// payee and asks for the second factor — and afterwards reads the outcome (振込依頼結果照会, 振込状況照会).
// The demo never approves anything itself: only the customer, at the bank, can.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { jstDate } from '../bank/jst.ts';
import { html, type Markup } from '../web/html.ts';
import { callBank } from './access.ts';
import { accountSelect, linkedAccounts, type LinkedAccount } from './account-pages.ts';
import type { BankClient } from './bank-client.ts';
import { csrfField, sendDemoPage } from './layout.ts';
import type { DemoSession } from './sessions.ts';
import { TEXTS, yen } from './texts.ts';

type SendForm = Record<'account' | 'bankCode' | 'branchCode' | 'accountType' | 'accountNumber' | 'beneficiaryName' | 'amount' | 'idempotencyKey', string>;

/** Field patterns as the bank's API checks them (the bank has the last word and says what is wrong). */
const PATTERNS: Partial<Record<keyof SendForm, RegExp>> = {
  bankCode: /^\d{4}$/,
  branchCode: /^\d{3}$/,
  accountType: /^[124]$/,
  accountNumber: /^\d{7}$/,
  amount: /^[1-9]\d{0,11}$/,
  idempotencyKey: /^[0-9a-f-]{36}$/,
};
const NAME_CHARS_MAX = 48;

export interface SendMoneyOptions {
  client: BankClient;
}

export async function sendMoneyPages(app: FastifyInstance, { client }: SendMoneyOptions): Promise<void> {
  app.get('/send', async (request, reply) => {
    const session = request.demoSession;
    const accounts = await linkedAccounts(client, session);
    return sendForm(reply, session, accounts, { account: accounts[0]?.accountId ?? '', bankCode: '0999', branchCode: '', accountType: '1', accountNumber: '', beneficiaryName: '', amount: '', idempotencyKey: randomUUID() });
  });

  app.post<{ Body: Partial<SendForm> }>('/send', async (request, reply) => {
    const session = request.demoSession;
    const t = TEXTS[session.lang];
    const accounts = await linkedAccounts(client, session);
    const form = Object.fromEntries(
      (['account', 'bankCode', 'branchCode', 'accountType', 'accountNumber', 'beneficiaryName', 'amount', 'idempotencyKey'] as const).map((name) => [name, String(request.body?.[name] ?? '').trim()]),
    ) as SendForm;
    const valid =
      accounts.some((a) => a.accountId === form.account) &&
      Object.entries(PATTERNS).every(([name, pattern]) => pattern.test(form[name as keyof SendForm])) &&
      form.beneficiaryName.length > 0 &&
      form.beneficiaryName.length <= NAME_CHARS_MAX;
    if (!valid) return sendForm(reply.code(400), session, accounts, form, t.sendInvalid);

    const requested = await callBank(client, session, '/transfer/request', {
      // The same key on a resubmitted form: the bank answers with the first request's result, not a second transfer.
      idempotencyKey: form.idempotencyKey,
      body: {
        accountId: form.account,
        transferDesignatedDate: jstDate(new Date()),
        transfers: [
          {
            transferAmount: form.amount,
            beneficiaryBankCode: form.bankCode,
            beneficiaryBranchCode: form.branchCode,
            accountTypeCode: form.accountType,
            accountNumber: form.accountNumber,
            beneficiaryName: form.beneficiaryName,
          },
        ],
      },
    });
    if (requested.status !== 201) {
      const details = (requested.body?.errorDetails ?? []) as { errorDetailsMessage?: string }[];
      const message = [requested.body?.errorMessage, ...details.map((d) => d.errorDetailsMessage)].filter(Boolean).join(' ');
      return sendForm(reply.code(400), session, accounts, { ...form, idempotencyKey: randomUUID() }, t.sendRefusedByBank(message || String(requested.status)));
    }
    const applyNo = String(requested.body.applyNo);
    // A second authorization, for this one transfer: no scope beyond openid, the transfer named by its applyNo.
    const { url, pending } = await client.authorizationUrl({ scope: 'openid', uiLocales: session.lang, authorizationDetails: [{ type: 'jp_transfer', applyNo }] });
    session.pending = { ...pending, kind: 'transfer', applyNo, accountId: form.account, startedAtMs: Date.now() };
    return reply.redirect(url.href, 303);
  });

  app.get('/send/result', async (request, reply) => {
    const session = request.demoSession;
    const t = TEXTS[session.lang];
    const transfer = session.lastTransfer;
    if (!transfer) return reply.redirect('/send', 303);
    const query = new URLSearchParams({ accountId: transfer.accountId, applyNo: transfer.applyNo });
    const result = await callBank(client, session, `/transfer/request-result?${query}`);
    // resultCode: 1 approved (see the status), 2 still awaiting approval, 8 refused, expired or withdrawn.
    const outcome = result.body?.resultCode === '1' ? 'done' : result.body?.resultCode === '2' ? 'waiting' : 'ended';
    const status = outcome === 'done' ? await callBank(client, session, `/transfer/status?${new URLSearchParams({ ...Object.fromEntries(query), queryKeyClass: '1' })}`) : undefined;
    const detail = status?.status === 200 ? (status.body.transferDetails[0] as TransferDetail | undefined) : undefined;
    const body = html`<h1>${t.transferTitle}</h1>
<p class="notice${outcome === 'done' ? '' : ' warning'}" role="status">${t.transferOutcome[outcome]}</p>
<dl class="facts">
<dt>${t.applyNo}</dt><dd>${transfer.applyNo}</dd>
${detail ? transferFacts(session, detail) : ''}
</dl>
<p><a href="/">${t.backHome}</a></p>`;
    return sendDemoPage(reply, session, { title: t.transferTitle, section: 'send', body });
  });
}

/** The fields of 振込状況照会's transferDetails[0] the page shows. */
interface TransferDetail {
  transferStatusName: string;
  transferDetailFee: string;
  executionDate: string;
  transferInfos: { beneficiaryBankName: string; beneficiaryBranchName: string; accountNumber: string; beneficiaryName: string; transferAmount: string }[];
}

function transferFacts(session: DemoSession, detail: TransferDetail): Markup {
  const t = TEXTS[session.lang];
  const item = detail.transferInfos[0]!;
  return html`<dt>${t.transferStatus}</dt><dd>${detail.transferStatusName}</dd>
<dt>${t.payee}</dt><dd>${item.beneficiaryBankName} ${item.beneficiaryBranchName} ${item.accountNumber} ${item.beneficiaryName}</dd>
<dt>${t.amountYen}</dt><dd>${yen(item.transferAmount)}</dd>
<dt>${t.fee}</dt><dd>${yen(detail.transferDetailFee)}</dd>
<dt>${t.executionDate}</dt><dd>${detail.executionDate}</dd>`;
}

function sendForm(reply: Parameters<typeof sendDemoPage>[0], session: DemoSession, accounts: readonly LinkedAccount[], form: SendForm, problem?: string) {
  const t = TEXTS[session.lang];
  const input = (name: keyof SendForm, label: string, attributes: Markup) =>
    html`<label for="send-${name}">${label}</label><input id="send-${name}" name="${name}" value="${form[name]}" required ${attributes}>`;
  const body = html`<h1>${t.sendTitle}</h1>
${problem ? html`<p class="notice warning" role="alert">${problem}</p>` : ''}
<p>${t.sendLead}</p>
<form class="stack" method="post" action="/send">${csrfField(session)}
<input type="hidden" name="idempotencyKey" value="${form.idempotencyKey}">
${accountSelect(session, accounts, form.account, t.fromAccount)}
${input('bankCode', t.bankCode, html`inputmode="numeric" pattern="[0-9]{4}" maxlength="4"`)}
${input('branchCode', t.branchCode, html`inputmode="numeric" pattern="[0-9]{3}" maxlength="3"`)}
<label for="send-accountType">${t.accountType}</label><select id="send-accountType" name="accountType">${Object.entries(t.accountTypes).map(
    ([code, name]) => html`<option value="${code}"${code === form.accountType ? html` selected` : ''}>${name}</option>`,
  )}</select>
${input('accountNumber', t.accountNumber, html`inputmode="numeric" pattern="[0-9]{7}" maxlength="7"`)}
${input('beneficiaryName', t.beneficiaryName, html`maxlength="${NAME_CHARS_MAX}"`)}
${input('amount', t.amountYen, html`inputmode="numeric" pattern="[1-9][0-9]*" maxlength="12"`)}
<p><button type="submit">${t.sendButton}</button></p>
</form>`;
  return sendDemoPage(reply, session, { title: t.sendTitle, section: 'send', body, status: reply.statusCode });
}
