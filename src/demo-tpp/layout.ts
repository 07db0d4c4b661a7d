// The frame of every demo page, and how a page leaves the demo: no script at all, style from the demo's sheet
// only, never cached (pages show account data), never framed.
import type { FastifyReply } from 'fastify';
import { html, toHtmlString, type Markup } from '../web/html.ts';
import type { DemoSession } from './sessions.ts';
import { DEMO_STYLESHEET_PATH } from './stylesheet.ts';
import { TEXTS } from './texts.ts';

/** Forms post to the demo itself, whose redirects continue to the bank (Chromium applies form-action to them). */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'";

export type Section = 'home' | 'transactions' | 'chart' | 'send';

const NAV: readonly [Section, string][] = [
  ['home', '/'],
  ['transactions', '/transactions'],
  ['chart', '/chart'],
  ['send', '/send'],
];

export function sendDemoPage(reply: FastifyReply, session: DemoSession, input: { title: string; section: Section; body: Markup; status?: number }): FastifyReply {
  const t = TEXTS[session.lang];
  const notice = session.notice;
  session.notice = undefined; // shown once
  const warning = notice === 'refused' || notice === 'ended' || notice === 'expired' || notice === 'failed';
  const page = html`<html lang="${session.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} | ${t.appName}</title>
<link rel="stylesheet" href="${DEMO_STYLESHEET_PATH}">
</head>
<body>
<header><a class="brand" href="/">${t.appName}<span class="badge">${t.demoBadge}</span></a>
${session.link ? html`<nav aria-label="${t.appName}">${NAV.map(([section, path]) => html`<a href="${path}"${section === input.section ? html` aria-current="page"` : ''}>${t.nav[section]}</a>`)}</nav>` : ''}
</header>
<main>
${notice ? html`<p class="notice${warning ? ' warning' : ''}" role="${warning ? 'alert' : 'status'}">${t.notices[notice]}</p>` : ''}
${input.body}
</main>
<footer><a href="?lang=${session.lang === 'ja' ? 'en' : 'ja'}" lang="${session.lang === 'ja' ? 'en' : 'ja'}">${t.otherLanguage}</a></footer>
</body>
</html>`;
  return reply
    .code(input.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .send(`<!DOCTYPE html>${toHtmlString(page)}`);
}

/** The hidden field every demo form carries (sessions.ts). */
export function csrfField(session: DemoSession): Markup {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}
