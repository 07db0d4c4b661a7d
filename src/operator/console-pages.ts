// The operator's console, server-rendered like the customer's pages (escaping by construction, no script, the
// strict page policy): login, the TPP list, onboarding, one TPP (registration, actions, traffic, errors,
// security events, grants) and the audit log. In English: the bank's platform team reads it beside the logs.
import { html, type Markup } from '../web/html.ts';
import { csrfField } from '../web/csrf.ts';
import { page } from '../web/layout.ts';
import { jstDateTime } from '../bank/jst.ts';
import { SCOPES } from '../auth/scopes.ts';
import type { AuditVerdict } from '../security/audit-verify.ts';
import type { AuditPage, AuditQuery } from './audit-viewer.ts';
import type { Operator } from './operators.ts';
import { mayChange } from './operators.ts';
import type { LiveGrant, TppDetail, TppSecurityEvent, TppSummary, TppTraffic } from './tpp-views.ts';

export const CONSOLE_PREFIX = '/operator';
export const CONSOLE_PATHS = {
  login: `${CONSOLE_PREFIX}/login`,
  logout: `${CONSOLE_PREFIX}/logout`,
  tpps: `${CONSOLE_PREFIX}/tpps`,
  newTpp: `${CONSOLE_PREFIX}/tpps/new`,
  audit: `${CONSOLE_PREFIX}/audit`,
  tpp: (clientId: string) => `${CONSOLE_PREFIX}/tpps/${encodeURIComponent(clientId)}`,
} as const;

/** What every page after login shows: who is logged in, the navigation, and the form token. */
export interface ConsoleFrame {
  operator: Operator;
  csrf: string;
  /** A line saying what the last action did, or why it was refused. */
  notice?: string | undefined;
  problem?: string | undefined;
}

function consolePage(title: string, body: Markup, frame?: ConsoleFrame): string {
  const headerActions = frame
    ? html`<nav><a href="${CONSOLE_PATHS.tpps}">TPPs</a> · <a href="${CONSOLE_PATHS.audit}">Audit log</a> · ${frame.operator.name} (${frame.operator.role})</nav>
<form method="post" action="${CONSOLE_PATHS.logout}">${csrfField(frame.csrf)}<button type="submit">Log out</button></form>`
    : undefined;
  const notices = frame
    ? html`${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ''}${frame.problem ? html`<p class="error" role="alert">${frame.problem}</p>` : ''}`
    : '';
  return page({ lang: 'en', title: `${title} · Operator console`, wide: true, headerActions, body: html`${notices}${body}` });
}

export function operatorLoginPage(input: { csrf: string; name?: string; failed?: boolean; locked?: boolean; sessionEnded?: boolean }): string {
  return consolePage(
    'Operator login',
    html`<h1>Operator login</h1>
<p>For the bank's operators. Customers log in at <a href="/my">their own page</a>.</p>
${input.sessionEnded ? html`<p class="notice" role="status">Your session has ended. Please log in again.</p>` : ''}
${input.failed ? html`<p class="error" role="alert">The name, password or one-time code is not correct.</p>` : ''}
${input.locked ? html`<p class="error" role="alert">Too many failed attempts: this login is locked for 15 minutes.</p>` : ''}
<form method="post" action="${CONSOLE_PATHS.login}">${csrfField(input.csrf)}
<label for="name">Operator name</label>
<input type="text" id="name" name="name" required autocomplete="username" autofocus value="${input.name ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" required autocomplete="current-password">
<label for="totp">One-time code (6 digits)</label>
<input type="text" id="totp" name="totp" required inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code">
<p><button class="primary" type="submit">Log in</button></p>
</form>`,
  );
}

export function tppListPage(frame: ConsoleFrame, tpps: TppSummary[]): string {
  return consolePage(
    'TPPs',
    html`<h1>TPPs</h1>
${mayChange(frame.operator.role) ? html`<p><a href="${CONSOLE_PATHS.newTpp}">Onboard a TPP</a></p>` : ''}
<table><thead><tr><th>Name</th><th>Registration no.</th><th>Status</th><th>Auth method</th><th>Live grants</th><th>Onboarded</th></tr></thead>
<tbody>${tpps.map(
      (tpp) =>
        html`<tr><td><a href="${CONSOLE_PATHS.tpp(tpp.clientId)}">${tpp.name}</a></td><td>${tpp.registrationNumber ?? '—'}</td><td>${tpp.status}</td><td>${tpp.authMethod}</td><td>${tpp.liveGrants}</td><td>${jstDateTime(tpp.createdAt)}</td></tr>`,
    )}</tbody></table>`,
    frame,
  );
}

/** The onboarding form's fields as typed, to show them again after a refusal. */
export type OnboardingForm = Partial<Record<'name' | 'registrationNumber' | 'contact' | 'redirectUris' | 'authMethod' | 'profile' | 'tlsClientAuthSubjectDn' | 'jwks' | 'jwksUri' | 'logoUri', string>> & { scopes?: string[] };

export function onboardingPage(frame: ConsoleFrame, form: OnboardingForm = {}): string {
  const scopes = new Set(form.scopes ?? ['openid', 'accounts', 'offline_access']);
  const option = (value: string, chosen: string | undefined, label: string) => html`<option value="${value}"${chosen === value ? html` selected` : ''}>${label}</option>`;
  return consolePage(
    'Onboard a TPP',
    html`<h1>Onboard a TPP</h1>
<form method="post" action="${CONSOLE_PATHS.tpps}">${csrfField(frame.csrf)}
<label for="name">Name</label><input type="text" id="name" name="name" required maxlength="100" value="${form.name ?? ''}">
<label for="registrationNumber">電子決済等代行業者 registration number</label><input type="text" id="registrationNumber" name="registrationNumber" maxlength="100" value="${form.registrationNumber ?? ''}">
<label for="contact">Contact (e-mail or phone)</label><input type="text" id="contact" name="contact" maxlength="200" value="${form.contact ?? ''}">
<label for="redirectUris">Redirect URIs (https, one per line)</label><textarea id="redirectUris" name="redirectUris" rows="3" required>${form.redirectUris ?? ''}</textarea>
<fieldset><legend>Allowed scopes</legend>${[...SCOPES.keys()].map(
      (scope) => html`<div class="account"><input type="checkbox" id="scope-${scope}" name="scopes" value="${scope}"${scopes.has(scope) ? html` checked` : ''}><label for="scope-${scope}">${scope}</label></div>`,
    )}</fieldset>
<label for="authMethod">Client authentication</label><select id="authMethod" name="authMethod">${option('tls_client_auth', form.authMethod, 'tls_client_auth (certificate subject)')}${option('private_key_jwt', form.authMethod, 'private_key_jwt (signed assertion)')}</select>
<label for="profile">Profile</label><select id="profile" name="profile">${option('fapi1', form.profile, 'FAPI 1.0 Advanced')}${option('fapi2', form.profile, 'FAPI 2.0 Security Profile')}${option('fapi2-message-signing', form.profile, 'FAPI 2.0 Message Signing')}</select>
${credentialFields(form)}
<label for="logoUri">Logo (https URL or image data URL; optional)</label><input type="text" id="logoUri" name="logoUri" value="${form.logoUri ?? ''}">
<p><button class="primary" type="submit">Onboard</button></p>
</form>`,
    frame,
  );
}

function credentialFields(form: OnboardingForm): Markup {
  return html`<label for="tlsClientAuthSubjectDn">Certificate subject DN (RFC 4514; tls_client_auth)</label><input type="text" id="tlsClientAuthSubjectDn" name="tlsClientAuthSubjectDn" maxlength="1000" value="${form.tlsClientAuthSubjectDn ?? ''}">
<label for="jwks">Public JWKS (JSON), or…</label><textarea id="jwks" name="jwks" rows="4">${form.jwks ?? ''}</textarea>
<label for="jwksUri">…JWKS URI (https)</label><input type="text" id="jwksUri" name="jwksUri" maxlength="2000" value="${form.jwksUri ?? ''}">`;
}

export function tppPage(frame: ConsoleFrame, view: { tpp: TppDetail; traffic: TppTraffic; events: TppSecurityEvent[]; grants: LiveGrant[] }): string {
  const { tpp, traffic, events, grants } = view;
  const canChange = mayChange(frame.operator.role);
  const action = (path: string, label: string, danger = false) =>
    html`<form method="post" action="${CONSOLE_PATHS.tpp(tpp.clientId)}/${path}">${csrfField(frame.csrf)}<label for="reason-${path}">Reason</label><input type="text" id="reason-${path}" name="reason" required maxlength="200"><button class="${danger ? 'danger' : 'secondary'}" type="submit">${label}</button></form>`;
  return consolePage(
    tpp.name,
    html`<div class="tpp">${tpp.logoUri ? html`<img src="${tpp.logoUri}" alt="" width="48" height="48">` : ''}<h1>${tpp.name}</h1></div>
<dl class="facts">
<dt>Client id</dt><dd><code>${tpp.clientId}</code></dd>
<dt>Status</dt><dd><strong>${tpp.status}</strong></dd>
<dt>Registration no.</dt><dd>${tpp.registrationNumber ?? '—'}</dd>
<dt>Contact</dt><dd>${tpp.contact ?? '—'}</dd>
<dt>Profile</dt><dd>FAPI ${tpp.profile}</dd>
<dt>Auth method</dt><dd>${tpp.authMethod}</dd>
<dt>Certificate subject</dt><dd>${tpp.tlsClientAuthSubjectDn ?? '—'}</dd>
<dt>Keys</dt><dd>${tpp.jwksUri ?? tpp.keyIds.join(', ')}</dd>
<dt>Redirect URIs</dt><dd>${tpp.redirectUris.map((uri) => html`<div>${uri}</div>`)}</dd>
<dt>Allowed scopes</dt><dd>${tpp.scopes?.join(' ') ?? 'all'}</dd>
<dt>Onboarded</dt><dd>${jstDateTime(tpp.createdAt)}</dd>
</dl>
${
  canChange
    ? html`<h2>Actions</h2>
${tpp.status === 'active' ? action('suspend', 'Suspend (refused at once)', true) : tpp.status === 'suspended' ? action('reinstate', 'Reinstate') : ''}
${action('grants/revoke', `Revoke all ${tpp.liveGrants} live grants`, true)}
<details><summary>Rotate credentials</summary>
<form method="post" action="${CONSOLE_PATHS.tpp(tpp.clientId)}/credentials">${csrfField(frame.csrf)}${credentialFields({})}
<p class="muted">The old certificate stops authenticating the TPP and its access tokens end now; it refreshes them with the new one.</p>
<button class="primary" type="submit">Rotate</button></form></details>`
    : ''
}
<h2>Traffic since ${jstDateTime(traffic.since)}</h2>
${
  traffic.lines.length === 0
    ? html`<p class="muted">No API calls.</p>`
    : html`<table><thead><tr><th>Route</th><th>Method</th><th>Status</th><th>Calls</th></tr></thead><tbody>${traffic.lines.map(
        (line) => html`<tr><td>${line.route}</td><td>${line.method}</td><td>${line.statusClass}xx</td><td>${line.calls}</td></tr>`,
      )}</tbody></table>`
}
<h2>Recent errors</h2>
${
  traffic.recentErrors.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th>When</th><th>Call</th><th>Status</th><th>Customer</th><th>Interaction id</th></tr></thead><tbody>${traffic.recentErrors.map(
        (error) => html`<tr><td>${jstDateTime(new Date(error.at))}</td><td>${error.method} ${error.route}</td><td>${error.status}</td><td>${error.customerId ?? '—'}</td><td><code>${error.interactionId ?? ''}</code></td></tr>`,
      )}</tbody></table>`
}
<h2>Security events</h2>
${
  events.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th>When</th><th>Kind</th><th>Customer</th><th>Source</th><th>What happened</th></tr></thead><tbody>${events.map(
        (event) => html`<tr><td>${jstDateTime(event.occurredAt)}</td><td>${event.kind}</td><td>${event.customerId ?? '—'}</td><td>${event.sourceAddress ?? '—'}</td><td>${event.detail}</td></tr>`,
      )}</tbody></table>`
}
<h2>Live grants</h2>
${
  grants.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th>Customer</th><th>Scopes</th><th>Granted</th><th>Last used</th><th>Expires</th>${canChange ? html`<th></th>` : ''}</tr></thead><tbody>${grants.map(
        (grant) =>
          html`<tr><td>${grant.customerId}</td><td>${grant.scopes.join(' ')}</td><td>${jstDateTime(grant.grantedAt)}</td><td>${grant.lastUsedAt ? jstDateTime(grant.lastUsedAt) : '—'}</td><td>${jstDateTime(grant.expiresAt)}</td>${
            canChange ? html`<td>${action(`grants/${encodeURIComponent(grant.grantId)}/revoke`, 'Revoke', true)}</td>` : ''
          }</tr>`,
      )}</tbody></table>`
}
<p><a href="${CONSOLE_PATHS.audit}?clientId=${tpp.clientId}">This TPP in the audit log</a></p>`,
    frame,
  );
}

export function auditPage(frame: ConsoleFrame, input: { query: AuditQuery; page: AuditPage; verdict: AuditVerdict | undefined; nextHref: string | undefined }): string {
  const { query, verdict } = input;
  const value = (date: Date | undefined) => (date ? date.toISOString() : '');
  return consolePage(
    'Audit log',
    html`<h1>Audit log</h1>
${
  verdict === undefined
    ? html`<form method="get" action="${CONSOLE_PATHS.audit}"><input type="hidden" name="verify" value="1"><button class="secondary" type="submit">Verify the hash chain</button></form>`
    : verdict.intact
      ? html`<p class="notice" role="status">Chain intact: ${verdict.entries} entries verified.</p>`
      : html`<p class="error" role="alert">Chain broken at entry ${verdict.seq}: ${verdict.problem}</p>`
}
<form method="get" action="${CONSOLE_PATHS.audit}">
<label for="clientId">TPP (client id)</label><input type="text" id="clientId" name="clientId" maxlength="64" value="${query.clientId ?? ''}">
<label for="customerId">Customer id</label><input type="text" id="customerId" name="customerId" maxlength="64" value="${query.customerId ?? ''}">
<label for="action">Kind (e.g. api.access, or operator. for all operator actions)</label><input type="text" id="action" name="action" maxlength="64" value="${query.action ?? ''}">
<label for="from">From (ISO 8601)</label><input type="text" id="from" name="from" maxlength="40" value="${value(query.from)}">
<label for="to">To (ISO 8601)</label><input type="text" id="to" name="to" maxlength="40" value="${value(query.to)}">
<label for="limit">Entries per page</label><input type="number" id="limit" name="limit" min="1" max="200" value="${query.limit}">
<p><button class="primary" type="submit">Filter</button></p>
</form>
<table><thead><tr><th>#</th><th>When</th><th>Kind</th><th>Facts</th></tr></thead><tbody>${input.page.entries.map(
      (entry) => html`<tr><td>${entry.seq}</td><td>${jstDateTime(new Date(entry.at))}</td><td>${entry.action}</td><td><code>${JSON.stringify(entry.facts)}</code></td></tr>`,
    )}</tbody></table>
${input.nextHref ? html`<p><a href="${input.nextHref}">Older entries</a></p>` : ''}`,
    frame,
  );
}

export function consoleErrorPage(frame: ConsoleFrame | undefined, status: number, message: string): string {
  return consolePage('Error', html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1><p class="error" role="alert">${message}</p>`, frame);
}
