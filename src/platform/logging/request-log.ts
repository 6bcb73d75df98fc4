import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
import type { Logger } from 'pino';

/** Probes and scrapes come every few seconds; a log line each would drown the real traffic. */
const QUIET_PATHS = /^\/(health\/|metrics(\?|$))/;

/**
 * The API's request log, from two Fastify hooks: one line per answered request with its
 * `reqId`, `req` (id, method, redacted path), `res` (status) and `responseTime`, as pino-http
 * wrote it ("request errored" with an `err` for a 5xx); and, for what a request's handlers log
 * through Nest's Logger, a logger bound to its `reqId`, made only when one of them logs.
 * pino-http, run as Nest middleware, built two child loggers for every request in advance.
 */
export function registerRequestLog(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, _reply, done) => {
    storage.run(new RequestLogStore(request.id), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.test(request.url)) {
      const status = reply.statusCode;
      const line = {
        reqId: request.id,
        req: { id: request.id, method: request.method, url: request.url },
        res: reply.raw,
        ...(status >= 500 && { err: new Error(`failed with status code ${status}`) }),
        responseTime: Math.round(reply.elapsedTime),
      };
      PinoLogger.root.info(line, status >= 500 ? 'request errored' : 'request completed');
    }
    done();
  });
}

/** nestjs-pino's context for the request's logs, with the request's logger made on first use. */
class RequestLogStore implements Store {
  private bound?: Logger;

  constructor(private readonly reqId: string) {}

  get logger(): Logger {
    return (this.bound ??= PinoLogger.root.child({ reqId: this.reqId }));
  }

  /** PinoLogger.assign() replaces it with a child carrying more fields. */
  set logger(logger: Logger) {
    this.bound = logger;
  }
}
