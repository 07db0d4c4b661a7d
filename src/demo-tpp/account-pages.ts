// The household-budget pages: home (balances of the linked accounts), the transaction list with search and the
// monthly spending chart, each read from the bank's 参照系 APIs with the customer's link.
import type { FastifyInstance } from 'fastify';
import { addDays, jstDate } from '../bank/jst.ts';
import { html, type Markup } from '../web/html.ts';
import { callBank } from './access.ts';
import type { BankClient } from './bank-client.ts';
import { lastMonths, monthlySpending, spendingChart } from './chart.ts';
import { csrfField, sendDemoPage } from './layout.ts';
import type { DemoSession } from './sessions.ts';
import { TEXTS, yen } from './texts.ts';

export interface LinkedAccount {
  accountId: string;
  label: string;
}

interface TransactionLine {
  transactionDate: string;
  transactionType: '1' | '2';
  amount: string;
  remarks: string;
  balance: string;
  itemKey: string;
}

/** The bank answers with up to 500 lines a page; a search reads at most this many pages per screen… */
const SEARCH_PAGES_MAX = 10;
/** …and stops once it has this many matches to show. */
const SEARCH_MATCHES_MIN = 50;
const CHART_MONTHS = 6;
/** Six months of a busy account fit in a few pages; a limit all the same. */
const CHART_PAGES_MAX = 20;
const DEFAULT_PERIOD_DAYS = 30;
const KEYWORD_CHARS_MAX = 40;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ITEM_KEY = /^[0-9A-Za-z_-]{1,64}$/;

export interface AccountPagesOptions {
  client: BankClient;
}

export async function accountPages(app: FastifyInstance, { client }: AccountPagesOptions): Promise<void> {
  app.get('/', async (request, reply) => {
    const session = request.demoSession;
    const t = TEXTS[session.lang];
    if (!session.link) return sendDemoPage(reply, session, { title: t.landingTitle, section: 'home', body: landing(session) });
    const accounts = await linkedAccounts(client, session);
    const balances = (await callBank(client, session, '/accounts/balances')).body.balances as { accountId: string; balance: string; withdrawableAmount: string; baseDate: string; baseTime: string }[];
    const labelOf = new Map(accounts.map((a) => [a.accountId, a.label]));
    const body = html`<h1>${t.balancesTitle}</h1>
<div class="scroll"><table>
<thead><tr><th scope="col">${t.account}</th><th scope="col" class="amount">${t.balance}</th><th scope="col" class="amount">${t.withdrawable}</th></tr></thead>
<tbody>${balances.map((b) => html`<tr><td>${labelOf.get(b.accountId) ?? b.accountId}</td><td class="amount">${yen(b.balance)}</td><td class="amount">${yen(b.withdrawableAmount)}</td></tr>`)}</tbody>
</table></div>
${balances[0] ? html`<p class="muted">${t.asOf(balances[0].baseDate, balances[0].baseTime)}</p>` : ''}
<form method="post" action="/unlink">${csrfField(session)}<button class="quiet" type="submit">${t.unlinkButton}</button></form>`;
    return sendDemoPage(reply, session, { title: t.balancesTitle, section: 'home', body });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/transactions', async (request, reply) => {
    const session = request.demoSession;
    const t = TEXTS[session.lang];
    const accounts = await linkedAccounts(client, session);
    const today = jstDate(new Date());
    const q = request.query;
    const accountId = accounts.find((a) => a.accountId === q.account)?.accountId ?? accounts[0]?.accountId;
    const from = DATE.test(q.from ?? '') ? q.from! : addDays(today, -(DEFAULT_PERIOD_DAYS - 1));
    const to = DATE.test(q.to ?? '') ? q.to! : today;
    const keyword = (q.q ?? '').trim().slice(0, KEYWORD_CHARS_MAX);
    let itemKey = ITEM_KEY.test(q.key ?? '') ? q.key : undefined;
    const form = searchForm(session, accounts, { accountId, from, to, keyword });
    if (!accountId) return sendDemoPage(reply, session, { title: t.transactionsTitle, section: 'transactions', body: form });

    // Paging is the bank's: each API page ends with a nextItemKey, which the "next page" link carries on.
    const matches: TransactionLine[] = [];
    let problem: string | undefined;
    let period = `${from} – ${to}`;
    for (let pages = 0; pages < SEARCH_PAGES_MAX && matches.length < SEARCH_MATCHES_MIN; pages++) {
      const response = await callBank(client, session, `/accounts/transactions?${new URLSearchParams({ accountId, dateFrom: from, dateTo: to, ...(itemKey ? { nextItemKey: itemKey } : {}) })}`);
      if (response.status !== 200) {
        problem = String(response.body?.errorMessage ?? response.status);
        break;
      }
      period = `${response.body.dateFrom} – ${response.body.dateTo}`;
      matches.push(...(response.body.transactions as TransactionLine[]).filter((line) => matchesKeyword(line.remarks, keyword)));
      itemKey = response.body.nextItemKey;
      if (!itemKey) break;
    }
    const base = { account: accountId, from, to, ...(keyword ? { q: keyword } : {}) };
    const body = html`${form}
${problem ? html`<p class="notice warning" role="alert">${problem}</p>` : ''}
<p class="muted">${t.pageNote(matches.length, period)}</p>
${matches.length === 0 ? html`<p>${t.noTransactions}</p>` : transactionTable(session, matches)}
<p class="pager">${q.key ? html`<a href="/transactions?${new URLSearchParams(base).toString()}">${t.firstPage}</a>` : ''}${
      itemKey && !problem ? html`<a href="/transactions?${new URLSearchParams({ ...base, key: itemKey }).toString()}">${t.nextPage}</a>` : ''
    }</p>`;
    return sendDemoPage(reply, session, { title: t.transactionsTitle, section: 'transactions', body });
  });

  app.get<{ Querystring: { account?: string } }>('/chart', async (request, reply) => {
    const session = request.demoSession;
    const t = TEXTS[session.lang];
    const accounts = await linkedAccounts(client, session);
    const accountId = accounts.find((a) => a.accountId === request.query.account)?.accountId ?? accounts[0]?.accountId;
    const months = lastMonths(jstDate(new Date()), CHART_MONTHS);
    const lines: TransactionLine[] = [];
    let itemKey: string | undefined;
    for (let pages = 0; accountId && pages < CHART_PAGES_MAX; pages++) {
      const query = new URLSearchParams({ accountId, dateFrom: `${months[0]}-01`, ...(itemKey ? { nextItemKey: itemKey } : {}) });
      const response = await callBank(client, session, `/accounts/transactions?${query}`);
      if (response.status !== 200) break;
      lines.push(...(response.body.transactions as TransactionLine[]));
      itemKey = response.body.nextItemKey;
      if (!itemKey) break;
    }
    const body = html`<h1>${t.chartTitle}</h1>
<form class="search" method="get" action="/chart">${accountSelect(session, accounts, accountId)}<button type="submit">${t.show}</button></form>
<p>${t.chartLead(CHART_MONTHS)}</p>
${spendingChart(monthlySpending(months, lines), { title: t.chartTitle, month: t.month, spending: t.spending })}`;
    return sendDemoPage(reply, session, { title: t.chartTitle, section: 'chart', body });
  });
}

/** The accounts the customer chose to share on the bank's consent page (口座一覧照会). */
export async function linkedAccounts(client: BankClient, session: DemoSession): Promise<LinkedAccount[]> {
  const response = await callBank(client, session, '/accounts');
  const accounts = (response.body?.accounts ?? []) as { accountId: string; branchName: string; accountTypeName: string; accountNumber: string }[];
  return accounts.map((a) => ({ accountId: a.accountId, label: `${a.branchName} ${a.accountTypeName} ${a.accountNumber}` }));
}

export function accountSelect(session: DemoSession, accounts: readonly LinkedAccount[], selected: string | undefined, label = TEXTS[session.lang].account): Markup {
  return html`<label>${label}<select name="account">${accounts.map(
    (a) => html`<option value="${a.accountId}"${a.accountId === selected ? html` selected` : ''}>${a.label}</option>`,
  )}</select></label>`;
}

/** Remarks are half-width katakana (ｷﾕｳﾖ); NFKC lets a customer type キュウヨ or ｷﾕｳﾖ alike. */
function matchesKeyword(remarks: string, keyword: string): boolean {
  return keyword === '' || remarks.normalize('NFKC').toLowerCase().includes(keyword.normalize('NFKC').toLowerCase());
}

function landing(session: DemoSession): Markup {
  const t = TEXTS[session.lang];
  return html`<h1>${t.landingTitle}</h1>
<p>${t.landingLead}</p>
<form method="post" action="/link">${csrfField(session)}<button type="submit">${t.linkButton}</button></form>`;
}

function searchForm(session: DemoSession, accounts: readonly LinkedAccount[], input: { accountId: string | undefined; from: string; to: string; keyword: string }): Markup {
  const t = TEXTS[session.lang];
  return html`<h1>${t.transactionsTitle}</h1>
<form class="search" method="get" action="/transactions" role="search">
${accountSelect(session, accounts, input.accountId)}
<label>${t.dateFrom}<input type="date" name="from" value="${input.from}" required></label>
<label>${t.dateTo}<input type="date" name="to" value="${input.to}" required></label>
<label>${t.keyword}<input type="search" name="q" value="${input.keyword}" maxlength="${KEYWORD_CHARS_MAX}"></label>
<button type="submit">${t.search}</button>
</form>`;
}

function transactionTable(session: DemoSession, lines: readonly TransactionLine[]): Markup {
  const t = TEXTS[session.lang];
  // One signed amount column, and the running balance only where there is room (stylesheet.ts): fits a phone.
  return html`<div class="scroll"><table class="transactions">
<thead><tr><th scope="col">${t.date}</th><th scope="col">${t.remarks}</th><th scope="col" class="amount">${t.amount}</th><th scope="col" class="amount balance">${t.balance}</th></tr></thead>
<tbody>${lines.map(
    (line) =>
      html`<tr><td>${line.transactionDate}</td><td class="remarks">${line.remarks}</td><td class="amount ${line.transactionType === '1' ? 'in' : 'out'}">${line.transactionType === '1' ? '+' : '−'}${yen(line.amount)}</td><td class="amount balance">${yen(line.balance)}</td></tr>`,
  )}</tbody>
</table></div>`;
}
