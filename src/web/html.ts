// Server-rendered pages: a tagged template that escapes every interpolated value unless it is
// already markup, so no page can inject a customer's or a TPP's text as HTML.

const MARKUP = Symbol('markup');

export interface Markup {
  readonly [MARKUP]: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolation = string | number | Markup | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object') return (value as Markup)[MARKUP];
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { [MARKUP]: out };
}

export function toHtmlString(markup: Markup): string {
  return markup[MARKUP];
}

/** Markup written in this codebase (a style sheet, say) that must not be escaped. Never for input. */
export function trustedMarkup(text: string): Markup {
  return { [MARKUP]: text };
}
