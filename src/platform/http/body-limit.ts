import { RouteConfig } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by BodyLimit: this route's body limit, below the application's. */
    bodyLimit?: number;
  }
}

/**
 * A route whose callers never send much takes less than the application's limit, so that no
 * request to it can make the parser and signature check read a megabyte.
 */
export function BodyLimit(bytes: number): MethodDecorator {
  return RouteConfig({ bodyLimit: bytes });
}

/** Makes BodyLimit effective; must run before the routes are registered. */
export function registerBodyLimits(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      const limit = route.config?.bodyLimit;
      if (limit !== undefined) route.bodyLimit = limit;
    });
}
