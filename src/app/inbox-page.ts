import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const INBOX_PATH = '/inbox';

// From dist/app (the build) and from src/app (tests run the sources) alike: the page's build
// lands in dist/inbox (scripts/build-web.sh).
const PAGE_ROOT = join(__dirname, '..', '..', 'dist', 'inbox');

// Everything the page loads comes from this origin; axe and other tools inject through the
// DevTools protocol, which a policy does not govern.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/**
 * The agents' inbox page: static files served by the API itself, so the page, the REST API and
 * socket.io share one origin and the session cookie needs no cross-origin rules.
 */
export async function registerInboxPage(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(join(PAGE_ROOT, 'index.html'))) {
    new Logger('InboxPage').warn(`${PAGE_ROOT} is not built (npm run build): /inbox answers 404`);
  }
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.headers(PAGE_HEADERS);
    });
    await scope.register(fastifyStatic, { root: PAGE_ROOT, prefix: `${INBOX_PATH}/` });
    scope.get(INBOX_PATH, (_request, reply) => reply.sendFile('index.html'));
  });
}
