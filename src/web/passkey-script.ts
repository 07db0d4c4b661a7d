// The one script of the bank's pages: passkey forms. @simplewebauthn/browser's ES modules and the bank's small
// module that drives them are served as files from the bank itself, so the pages that use them can allow
// `script-src 'self'` and nothing inline (send-page.ts). The path carries a hash of every file: cached for a
// year, and an upgrade is a new path.
//
// A passkey form is `<form data-passkey="login|approve|enrol" data-options="…JSON…">` with a hidden
// `credential` field: on submit the script runs the WebAuthn ceremony with those options and submits the
// form with the authenticator's answer (JSON) in that field; the server verifies it. Without script, or if
// the customer cancels, nothing is sent.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { html, type Markup } from './html.ts';

const PASSKEY_FORMS_JS = `import { browserSupportsWebAuthn, startAuthentication, startRegistration } from './simplewebauthn/index.js';
for (const form of document.querySelectorAll('form[data-passkey]')) {
  const status = form.querySelector('[data-passkey-status]');
  if (!browserSupportsWebAuthn()) {
    form.querySelector('button').disabled = true;
    status.textContent = form.dataset.unsupported;
    continue;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const optionsJSON = JSON.parse(form.dataset.options);
    try {
      const answer = form.dataset.passkey === 'enrol' ? await startRegistration({ optionsJSON }) : await startAuthentication({ optionsJSON });
      form.elements.credential.value = JSON.stringify(answer);
    } catch {
      status.textContent = form.dataset.cancelled;
      return;
    }
    form.submit();
  });
}
`;

/** The library's own files, read once; a package with more than this many is not the one we know. */
const LIBRARY_FILES_MAX = 64;

function libraryFiles(): Map<string, string> {
  const root = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')));
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(`simplewebauthn/${relative(root, path).split(sep).join('/')}`, readFileSync(path, 'utf8'));
  }
  if (files.size > LIBRARY_FILES_MAX) throw new Error(`@simplewebauthn/browser has ${files.size} files: expected at most ${LIBRARY_FILES_MAX}`);
  return files;
}

const FILES = new Map([['passkey-forms.js', PASSKEY_FORMS_JS], ...libraryFiles()]);
const VERSION = createHash('sha256')
  .update([...FILES].map(([name, text]) => `${name}\0${text}`).join('\0'))
  .digest('hex')
  .slice(0, 16);
const PREFIX = `/assets/passkeys-${VERSION}`;

/** The tag a page with a passkey form carries. */
export function passkeyScriptTag(): Markup {
  return html`<script type="module" src="${PREFIX}/passkey-forms.js"></script>`;
}

export async function passkeyScriptRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { '*': string } }>(`${PREFIX}/*`, async (request, reply) => {
    const text = FILES.get(request.params['*']);
    if (text === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(text);
  });
}

/**
 * A passkey form: `options` from @simplewebauthn/server, `hidden` the form's own fields (lang, CSRF…); the
 * texts the script shows when the customer cancels or the browser has no WebAuthn.
 */
export function passkeyForm(input: {
  purpose: 'login' | 'approve' | 'enrol';
  action: string;
  options: object;
  hidden: Markup;
  button: string;
  cancelled: string;
  unsupported: string;
  fields?: Markup;
}): Markup {
  return html`<form method="post" action="${input.action}" data-passkey="${input.purpose}" data-options="${JSON.stringify(input.options)}" data-cancelled="${input.cancelled}" data-unsupported="${input.unsupported}">
${input.hidden}<input type="hidden" name="credential" value="">${input.fields}
<p><button class="primary" type="submit">${input.button}</button></p>
<p class="muted" role="status" data-passkey-status></p>
</form>`;
}
