// A customer's browser, as far as the bank's pages need one: cookies, redirects followed by hand,
// forms read from the HTML and submitted as a browser would (no script, no test-only route).
import { Agent, fetch, type FormData, type Response } from 'undici';

export interface Page {
  url: string;
  status: number;
  html: string;
  /** The page's Content-Security-Policy header. */
  contentSecurityPolicy?: string | undefined;
}

export interface FormField {
  name: string;
  value: string;
  type: string;
}

/** A redirect towards the TPP ends the browser's part: the TPP receives this URL. */
export class ReachedTpp extends Error {}

export class CustomerBrowser {
  private readonly cookies = new Map<string, string>();
  private readonly agent: Agent;

  constructor(
    readonly caCertificatePem: string,
    readonly tppRedirectPrefix: string,
  ) {
    this.agent = new Agent({ connect: { ca: caCertificatePem } });
  }

  /** Follows redirects from `url` until a bank page is shown, or the TPP's redirect URI is reached. */
  async open(url: string): Promise<Page | { tppUrl: string }> {
    return this.follow(url, { method: 'GET' });
  }

  async submit(page: Page, formAction: string, fields: Record<string, string | string[]>): Promise<Page | { tppUrl: string }> {
    const form = this.form(page, formAction);
    const body = new URLSearchParams();
    // A field given replaces a hidden one of the same name, as the page's script does (the passkey forms' `credential`).
    for (const field of form.fields.filter((f) => f.type === 'hidden' && !(f.name in fields))) body.append(field.name, field.value);
    for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    return this.follow(new URL(form.action, page.url).href, {
      method: 'POST',
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /**
   * Sends any request with this browser's cookies, as a script or a misbehaving client on the
   * customer's machine could (bodies a form would never send), and follows redirects like open().
   */
  async send(url: string, init: { method: string; body?: string | Buffer | FormData; headers?: Record<string, string> }): Promise<Page | { tppUrl: string }> {
    return this.follow(url, init);
  }

  /** The form whose action ends with `actionSuffix`, with its fields. */
  form(page: Page, actionSuffix: string): { action: string; fields: FormField[] } {
    for (const match of page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      const action = decode(match[1] ?? '');
      if (!action.endsWith(actionSuffix)) continue;
      const fields = [...(match[2] ?? '').matchAll(/<input([^>]*)>/g)].map((input) => ({
        name: decode(attribute(input[1] ?? '', 'name') ?? ''),
        value: decode(attribute(input[1] ?? '', 'value') ?? ''),
        type: attribute(input[1] ?? '', 'type') ?? 'text',
      }));
      return { action, fields };
    }
    throw new Error(`no form with action …${actionSuffix} on ${page.url}:\n${page.html}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async follow(url: string, init: { method: string; body?: string | Buffer | FormData; headers?: Record<string, string> }): Promise<Page | { tppUrl: string }> {
    let current = url;
    let request = init;
    for (let hops = 0; hops < 10; hops++) {
      if (current.startsWith(this.tppRedirectPrefix)) return { tppUrl: current };
      const response = await fetch(current, {
        ...request,
        headers: { ...request.headers, cookie: this.cookieHeader(), accept: 'text/html' },
        redirect: 'manual',
        dispatcher: this.agent,
      });
      this.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        request = { method: 'GET' };
        continue;
      }
      const html = await response.text();
      // A form_post-style response page would auto-submit to the TPP; ours are redirects only.
      return { url: current, status: response.status, html, contentSecurityPolicy: response.headers.get('content-security-policy') ?? undefined };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index < 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
}

function decode(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
