// The demo TPP app (かんたん家計簿): a household-budget web app that integrates with the bank as any TPP would,
// from nothing but its registration folder. Its own Fastify instance on its own port, over HTTPS (the bank's
// dev certificate: the redirect URI must be https).
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formBody from '@fastify/formbody';
import type { Logger } from 'pino';
import { accountPages } from './account-pages.ts';
import { NotLinked } from './access.ts';
import { BankClient } from './bank-client.ts';
import { readCredentials } from './credentials.ts';
import { html } from '../web/html.ts';
import { linkRoutes } from './link.ts';
import { sendDemoPage } from './layout.ts';
import { sendMoneyPages } from './send-money.ts';
import { demoSessions } from './sessions.ts';
import { demoStylesheetRoute } from './stylesheet.ts';
import { TEXTS } from './texts.ts';

export interface DemoTppOptions {
  /** The folder `ginko client create` (or the sandbox, registration.ts) wrote. */
  credentialsDir: string;
  host: string;
  port: number;
  /** The origin the browser uses, e.g. https://localhost:3000; its /callback is the registered redirect URI. */
  publicUrl: string;
  /** The demo's HTTPS server certificate. */
  tls: { certificatePem: string; privateKeyPem: string };
  logger: Logger;
}

export interface RunningDemoTpp {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Form bodies are a few fields; anything bigger is refused. */
const BODY_LIMIT_BYTES = 16 * 1024;

export async function startDemoTpp(options: DemoTppOptions): Promise<RunningDemoTpp> {
  const client = await BankClient.connect(readCredentials(options.credentialsDir));
  // Typed against the default (http) server like the bank's listeners: https hands routes the same objects.
  const app = fastify({
    loggerInstance: options.logger.child({ app: 'demo-tpp' }) as FastifyBaseLogger,
    https: { cert: options.tls.certificatePem, key: options.tls.privateKeyPem },
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: 30_000,
  }) as unknown as FastifyInstance;
  await app.register(formBody);
  demoSessions(app);
  app.addHook('onRequest', async (request) => {
    const lang = (request.query as { lang?: string } | undefined)?.lang;
    if (lang === 'ja' || lang === 'en') request.demoSession.lang = lang;
  });
  // Every form carries the session's CSRF token (layout.ts csrfField).
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST' && (request.body as { csrf?: string } | undefined)?.csrf !== request.demoSession.csrf) {
      request.demoSession.notice = 'expired';
      return reply.redirect('/', 303);
    }
  });
  app.setErrorHandler(async (error, request, reply) => {
    // The link ended (or never was): the home page explains and offers to link.
    if (error instanceof NotLinked) return reply.redirect('/', 303);
    // A request Fastify refused (too large, malformed) keeps its 4xx; anything else is the bank failing us.
    const clientMistake = typeof error === 'object' && error !== null && 'statusCode' in error && Number(error.statusCode) >= 400 && Number(error.statusCode) < 500;
    request.log[clientMistake ? 'info' : 'error']({ err: error }, 'demo page failed');
    request.demoSession.notice = 'failed';
    const t = TEXTS[request.demoSession.lang];
    const status = clientMistake ? Number((error as { statusCode: number }).statusCode) : 502;
    return sendDemoPage(reply, request.demoSession, { title: t.appName, section: 'home', status, body: html`<p><a href="/">${t.backHome}</a></p>` });
  });
  app.setNotFoundHandler(async (request, reply) => {
    const t = TEXTS[request.demoSession.lang];
    return sendDemoPage(reply, request.demoSession, { title: t.appName, section: 'home', status: 404, body: html`<h1>404</h1><p><a href="/">${t.backHome}</a></p>` });
  });

  await app.register(demoStylesheetRoute);
  await app.register(linkRoutes, { client, publicUrl: options.publicUrl });
  await app.register(accountPages, { client });
  await app.register(sendMoneyPages, { client });
  await app.listen({ host: options.host, port: options.port });
  return {
    app,
    async close() {
      await app.close();
      client.close();
    },
  };
}
