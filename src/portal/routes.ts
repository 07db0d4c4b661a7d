// The developer portal's routes. On the browser listener: /docs (the guide and the API reference,
// one page) and /docs/openapi.json; on the mTLS listener, next to the APIs: <prefix>/openapi.json.
// The document is generated on the mTLS listener (openapi.ts) and read from there on each request,
// so both copies are always the same document.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { page } from '../web/layout.ts';
import { html } from '../web/html.ts';
import { sendPage } from '../web/send-page.ts';
import { renderGuide, type GuideInput } from './guide.ts';
import { OPENAPI_JSON_PATH } from './openapi.ts';
import { renderReference, type OpenApiDocumentView } from './reference.ts';

export const DOCS_PATH = '/docs';

export interface PortalOptions {
  document: () => Record<string, unknown>;
  guide: GuideInput;
}

function sendDocument(reply: FastifyReply, document: Record<string, unknown>): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-cache').send(document);
}

/** Browser listener: the portal page and the mirrored document. */
export async function portalRoutes(app: FastifyInstance, { document, guide }: PortalOptions): Promise<void> {
  app.get(DOCS_PATH, async (_request, reply) => {
    const body = html`<h1>Ginko bank APIs for TPPs</h1>
<p>Contents: <a href="#getting-started">Getting started</a> · <a href="#reference">API reference</a></p>
${renderGuide(guide)}
${renderReference(document() as OpenApiDocumentView)}`;
    return sendPage(reply, page({ lang: 'en', title: 'Developer portal', body, wide: true }));
  });
  app.get(`${DOCS_PATH}/${OPENAPI_JSON_PATH}`, async (_request, reply) => sendDocument(reply, document()));
}

/** mTLS listener: the document beside the APIs it describes (no certificate or token needed). */
export async function openApiRoute(app: FastifyInstance, { apiPrefix, document }: { apiPrefix: string; document: () => Record<string, unknown> }): Promise<void> {
  app.get(`${apiPrefix}/${OPENAPI_JSON_PATH}`, { schema: { hide: true } }, async (_request, reply) => sendDocument(reply, document()));
}
