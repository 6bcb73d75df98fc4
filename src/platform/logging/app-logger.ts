import type { DynamicModule } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';
import { REDACTED_PATHS, redactUrl } from './log-redaction';

/**
 * nestjs-pino for both processes: one JSON object per line with `process` and, inside a request,
 * its `reqId` (Fastify's request id, see request-id.ts). Request logs hold method, path (query
 * values redacted), status and time; never headers or bodies. Callers log `{ messageId, ... }`
 * objects, never bodies or full phone numbers.
 */
export function pinoParams(
  config: Pick<AppConfig, 'logLevel'>,
  processName: 'api' | 'worker',
): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { process: processName, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    // No middleware: the API's request log is two Fastify hooks (request-log.ts).
    forRoutes: [],
  };
}

export function loggingModule(
  config: Pick<AppConfig, 'logLevel'>,
  processName: 'api' | 'worker',
): DynamicModule {
  return LoggerModule.forRoot(pinoParams(config, processName));
}
