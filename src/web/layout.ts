// The page frame shared by the customer-facing pages: plain, accessible, readable on a phone.
import { html, toHtmlString, trustedMarkup, type Markup } from './html.ts';

export type Language = 'ja' | 'en';

const STYLE = `
:root{--ink:#1d2733;--muted:#5b6775;--brand:#0b4f8a;--line:#d5dce4;--bg:#f4f6f9;--danger:#a3231f}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--brand);color:#fff;padding:.75rem 1rem}header strong{font-size:1.1rem;letter-spacing:.05em}
main{max-width:34rem;margin:1.5rem auto;padding:1.5rem;background:#fff;border:1px solid var(--line);border-radius:8px}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid var(--muted);border-radius:4px;font-size:1rem}
button{font-size:1rem;padding:.65rem 1.2rem;border-radius:4px;border:1px solid var(--brand);cursor:pointer;margin:.25rem .5rem .25rem 0}
button.primary{background:var(--brand);color:#fff}button.secondary{background:#fff;color:var(--brand)}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.error{color:var(--danger);border-left:4px solid var(--danger);padding:.25rem .75rem;background:#fbeeee}
.muted{color:var(--muted);font-size:.9rem}fieldset{border:1px solid var(--line);border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
ul.scopes{padding-left:1.2rem}.account{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}
main.wide{max-width:60rem}code,pre{font:.9rem/1.5 ui-monospace,monospace;background:var(--bg)}pre{padding:.75rem;overflow-x:auto;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
`;
const STYLE_MARKUP = trustedMarkup(STYLE);
const WIDE = trustedMarkup(' class="wide"');

/** `wide` is for reference pages (the developer portal); the customer's pages stay phone-narrow. */
export function page(input: { lang: Language; title: string; body: Markup; wide?: boolean }): string {
  return (
    '<!DOCTYPE html>' +
    toHtmlString(html`<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} | Ginko Bank</title>
<style>${STYLE_MARKUP}</style>
</head>
<body>
<header><strong>${input.lang === 'ja' ? 'ぎんこう銀行' : 'Ginko Bank'}</strong></header>
<main${input.wide ? WIDE : ''}>
${input.body}
</main>
</body>
</html>`)
  );
}
