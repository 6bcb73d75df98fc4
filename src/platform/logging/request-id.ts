import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A caller's own id is kept if it is a plausible token, so it cannot bloat or forge log lines. */
const REQUEST_ID = /^[\w.:\-]{1,128}$/;

/** Fastify's `genReqId`: the incoming `X-Request-Id` (from a proxy or a client), else a UUID. */
export function requestId(request: { headers: IncomingHttpHeaders }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Every answer names its request id, so a user's report can be matched to the log lines. A
 * callback hook: an async one costs every request a promise for nothing it waits on.
 */
export function exposeRequestId(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      done();
    });
}
