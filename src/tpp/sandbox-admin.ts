// The sandbox's local admin endpoint: lets `ginko client create` register a TPP while the sandbox
// holds the embedded store. Reachable only from this machine, with the token from the lock file.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../store/db.ts';
import type { DevPki } from '../pki/dev-pki.ts';
import { SENDER_CONSTRAINTS } from '../auth/fapi-profiles.ts';
import { registerTpp, TPP_AUTH_METHODS, TPP_PROFILES, TppRegistrationError, type TppRegistration } from './registry.ts';

export const SANDBOX_ADMIN_PATH = '/sandbox/tpps';

export interface SandboxAdminOptions {
  db: Db;
  pki: DevPki;
  adminToken: string;
}

const Body = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    redirectUris: Type.Array(Type.String({ maxLength: 2000 }), { minItems: 1, maxItems: 10 }),
    authMethod: Type.Union(TPP_AUTH_METHODS.map((m) => Type.Literal(m))),
    profile: Type.Optional(Type.Union(TPP_PROFILES.map((p) => Type.Literal(p)))),
    senderConstraint: Type.Optional(Type.Union(SENDER_CONSTRAINTS.map((c) => Type.Literal(c)))),
    registrationNumber: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export async function sandboxAdminRoutes(app: FastifyInstance, { db, pki, adminToken }: SandboxAdminOptions): Promise<void> {
  const expected = Buffer.from(`Bearer ${adminToken}`);
  app.post<{ Body: TppRegistration }>(
    SANDBOX_ADMIN_PATH,
    { schema: { body: Body } },
    async (request, reply) => {
      const presented = Buffer.from(request.headers.authorization ?? '');
      const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.socket.remoteAddress ?? '');
      if (!loopback || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        return reply.code(401).send({ error: 'unauthorized', error_description: 'local admin token required' });
      }
      try {
        return reply.code(201).send(await registerTpp(db, pki, request.body));
      } catch (error) {
        if (error instanceof TppRegistrationError) return reply.code(400).send({ error: 'invalid_client_metadata', error_description: error.message });
        throw error;
      }
    },
  );
}
