// The one style sheet of every page on the browser listener, served as a file so the pages' Content-Security-Policy
// can forbid inline style. Its path carries a hash of its text: browsers may cache it for a year, and a change
// is a new path.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const CSS = `
:root{--ink:#1d2733;--muted:#5b6775;--brand:#0b4f8a;--line:#d5dce4;--bg:#f4f6f9;--danger:#a3231f}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--brand);color:#fff;padding:.75rem 1rem}header strong{font-size:1.1rem;letter-spacing:.05em}
main{max-width:34rem;margin:1.5rem auto;padding:1.5rem;background:#fff;border:1px solid var(--line);border-radius:8px}
h1{font-size:1.3rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}main nav.pages{margin:0 0 1rem}main nav.pages a{color:var(--brand)}main nav.pages a[aria-current]{font-weight:600}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid var(--muted);border-radius:4px;font-size:1rem}
button{font-size:1rem;padding:.65rem 1.2rem;border-radius:4px;border:1px solid var(--brand);cursor:pointer;margin:.25rem .5rem .25rem 0}
button.primary{background:var(--brand);color:#fff}button.secondary{background:#fff;color:var(--brand)}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.error{color:var(--danger);border-left:4px solid var(--danger);padding:.25rem .75rem;background:#fbeeee}
.muted{color:var(--muted);font-size:.9rem}fieldset{border:1px solid var(--line);border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
ul.scopes{padding-left:1.2rem}.account{display:flex;gap:.6rem;align-items:center;margin:.5rem 0}.account label{margin:0}
.account input{width:1.25rem;height:1.25rem;margin:0}
main.wide{max-width:60rem}code,pre{font:.9rem/1.5 ui-monospace,monospace;background:var(--bg)}pre{padding:.75rem;overflow-x:auto;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem}header a{color:#fff}header form{margin:0}
header button{margin:0;padding:.3rem .8rem;font-size:.9rem;background:transparent;color:#fff;border-color:#fff}
.grant{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;margin:1rem 0}.grant h2{font-size:1.1rem;margin:0 0 .5rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
button.danger{background:#fff;color:var(--danger);border-color:var(--danger)}.notice{border-left:4px solid var(--brand);padding:.25rem .75rem;background:#eef4fa}
.tpp{display:flex;gap:.75rem;align-items:center;margin:1rem 0}.tpp img{border-radius:8px;object-fit:contain}
textarea,select,input[type=number]{width:100%;padding:.6rem;border:1px solid var(--muted);border-radius:4px;font:1rem ui-monospace,monospace}nav a{color:#fff}

`;

export const STYLESHEET_PATH = `/assets/bank-${createHash('sha256').update(CSS).digest('hex').slice(0, 16)}.css`;

/** A year: the path changes with the text, so a cached copy is never stale. */
const CACHE_SECONDS = 365 * 24 * 3600;

export async function stylesheetRoute(app: FastifyInstance): Promise<void> {
  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', `public, max-age=${CACHE_SECONDS}, immutable`).send(CSS),
  );
}
