// The page frame shared by the customer-facing pages: plain, accessible, readable on a phone.
import { html, toHtmlString, trustedMarkup, type Markup } from './html.ts';
import { STYLESHEET_PATH } from './stylesheet.ts';

export type Language = 'ja' | 'en';

/** The first hint that names a language we have (a `lang` field, `ui_locales`); Japanese otherwise. */
export function languageOf(...hints: unknown[]): Language {
  for (const hint of hints) {
    if (typeof hint !== 'string') continue;
    const first = hint.split(' ')[0];
    if (first === 'en' || first?.startsWith('en-')) return 'en';
    if (first === 'ja') return 'ja';
  }
  return 'ja';
}

/** A link to the same page in the other language, named in that language. */
export function languageSwitch(lang: Language, path: string): Markup {
  const other: Language = lang === 'ja' ? 'en' : 'ja';
  return html`<p class="muted"><a href="${path}?lang=${other}" lang="${other}">${other === 'en' ? 'English' : '日本語'}</a></p>`;
}

const WIDE = trustedMarkup(' class="wide"');

/** `wide` is for reference pages (the developer portal); the customer's pages stay phone-narrow. */
export function page(input: { lang: Language; title: string; body: Markup; wide?: boolean; headerActions?: Markup }): string {
  return (
    '<!DOCTYPE html>' +
    toHtmlString(html`<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} | Ginko Bank</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header><strong>${input.lang === 'ja' ? 'ぎんこう銀行' : 'Ginko Bank'}</strong>${input.headerActions}</header>
<main${input.wide ? WIDE : ''}>
${input.body}
</main>
</body>
</html>`)
  );
}
