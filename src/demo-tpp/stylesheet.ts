// The demo's one style sheet, served as a file so its pages can forbid inline style and script. A different
// look from the bank's on purpose: the customer should see when they are at the app and when at the bank.
import type { FastifyInstance } from 'fastify';

export const DEMO_STYLESHEET_PATH = '/style.css';

const CSS = `
:root{--ink:#2b2a26;--muted:#6b675e;--brand:#2f7d4f;--line:#ddd8cc;--bg:#faf7f0;--danger:#a3231f}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--brand);color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.15rem}
.badge{font-size:.7rem;border:1px solid #fff;border-radius:3px;padding:0 .3rem;margin-left:.3rem;vertical-align:middle}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}nav a[aria-current=page]{text-decoration:underline;text-underline-offset:.3em}
main{max-width:48rem;margin:1rem auto;padding:1rem 1.25rem;background:#fff;border:1px solid var(--line);border-radius:8px}
footer{max-width:48rem;margin:0 auto 2rem;padding:0 1.25rem;color:var(--muted);font-size:.9rem}
h1{font-size:1.3rem;margin:0 0 1rem}h2{font-size:1.1rem}
.notice{border-left:4px solid var(--brand);background:#eef6f0;padding:.4rem .8rem;margin:0 0 1rem}
.notice.warning{border-color:var(--danger);background:#fbeeee}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;white-space:nowrap}
td.amount,th.amount{text-align:right;font-variant-numeric:tabular-nums}td.remarks{white-space:normal;word-break:break-all}
td.in{color:var(--brand)}td.out{color:var(--ink)}@media (max-width:30rem){.balance{display:none}main{padding:.75rem}th,td{padding:.3rem}}
form.search{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:1rem}form.search label{display:flex;flex-direction:column;font-size:.9rem}
label{font-weight:600}form.stack label{display:block;margin:.75rem 0 .25rem}
input,select{font-size:1rem;padding:.45rem;border:1px solid var(--muted);border-radius:4px;max-width:100%}form.stack input,form.stack select{width:100%}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:4px;border:1px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer}
button.quiet{background:#fff;color:var(--brand)}:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.muted{color:var(--muted);font-size:.9rem}.pager{display:flex;flex-wrap:wrap;gap:1rem;margin-top:1rem}
svg.chart{width:100%;height:auto;max-width:40rem}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dd{margin:0}
`;

export async function demoStylesheetRoute(app: FastifyInstance): Promise<void> {
  app.get(DEMO_STYLESHEET_PATH, async (_request, reply) => reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(CSS));
}
