// The API reference as server-rendered HTML, read straight from the OpenAPI document: each operation
// with its parameters, its responses and their bodies, field by field. No script and no external
// asset, so it renders anywhere, under the pages' strict content security policy.
import { html, type Markup } from '../web/html.ts';

/** The parts of an OpenAPI 3.1 document the reference reads. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  description?: string;
  maxItems?: number;
  maxLength?: number;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocumentView {
  info?: { title?: string; description?: string };
  servers?: { url: string }[];
  paths?: Record<string, Record<string, Operation>>;
}

/** Deeper than any body the APIs return; a bound so a cyclic or absurd schema cannot run away. */
const SCHEMA_DEPTH_MAX = 6;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function renderReference(document: OpenApiDocumentView): Markup {
  const server = document.servers?.[0]?.url ?? '';
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method]! })),
  );
  return html`<h2 id="reference">API reference</h2>
<p>${document.info?.description ?? ''}</p>
<p>Base URL: <code>${server}</code>. The machine-readable description: <a href="/docs/openapi.json">OpenAPI 3.1 document</a>.</p>
<ul>${operations.map(({ path, method, operation }) => html`<li><a href="#${anchorOf(method, path)}"><code>${method.toUpperCase()} ${path}</code></a> ${operation.summary ?? ''}</li>`)}</ul>
${operations.map(({ path, method, operation }) => renderOperation(path, method, operation))}`;
}

function renderOperation(path: string, method: string, operation: Operation): Markup {
  const parameters = operation.parameters ?? [];
  return html`<section id="${anchorOf(method, path)}">
<h3><code>${method.toUpperCase()} ${path}</code></h3>
<p><strong>${operation.summary ?? ''}</strong></p>
<p>${operation.description ?? ''}</p>
<h4>Parameters</h4>
${
  parameters.length === 0
    ? html`<p class="muted">None besides the Authorization header.</p>`
    : html`<table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Form</th></tr></thead><tbody>
${parameters.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${describe(p.schema ?? {})}${p.description ? html`<br>${p.description}` : ''}</td></tr>`)}
</tbody></table>`
}
${operation.requestBody ? html`<h4>Request body</h4>${renderFields(jsonSchemaOf(operation.requestBody) ?? {}, 0)}` : ''}
<h4>Responses</h4>
${Object.entries(operation.responses ?? {}).map(([status, response]) => {
  const schema = jsonSchemaOf(response);
  return html`<h5>${status}</h5><p>${response.description ?? ''}</p>${schema ? renderFields(schema, 0) : ''}`;
})}
</section>`;
}

function jsonSchemaOf(body: { content?: Record<string, { schema?: Schema }> }): Schema | undefined {
  return body.content?.['application/json']?.schema;
}

function renderFields(schema: Schema, depth: number): Markup {
  if (depth >= SCHEMA_DEPTH_MAX) return html`<p class="muted">…</p>`;
  const item = schema.type === 'array' && schema.items ? schema.items : schema;
  const properties = Object.entries(item.properties ?? {});
  if (properties.length === 0) return html``;
  const required = new Set(item.required ?? []);
  return html`<ul>${properties.map(
    ([name, property]) =>
      html`<li><code>${name}</code> ${describe(property)}${required.has(name) ? '' : ' (optional)'}${property.description ? html` — ${property.description}` : ''}${renderFields(property, depth + 1)}</li>`,
  )}</ul>`;
}

/** One line for a schema: its type and the rule its values follow. */
function describe(schema: Schema): Markup {
  const choices = schema.anyOf?.map((s) => s.const).filter((c) => c !== undefined) ?? schema.enum;
  if (choices && choices.length > 0) return html`one of ${choices.map((c, i) => html`${i > 0 ? ', ' : ''}<code>${JSON.stringify(c)}</code>`)}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  const itemType = schema.type === 'array' && schema.items ? html` of ${describe(schema.items)}` : '';
  const rule = schema.pattern ? html`, matching <code>${schema.pattern}</code>` : schema.format ? html`, ${schema.format}` : '';
  return html`<em>${type}</em>${itemType}${rule}`;
}

function anchorOf(method: string, path: string): string {
  return `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}
