import { CanActivate, ExecutionContext, Injectable, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';

const BODY_ARGUMENT = `${RouteParamtypes.BODY}:`;

/**
 * A handler that reads `@Body()` reads JSON: a body sent as text/plain or as a form would
 * otherwise reach validation as a string or as oddly named fields, and answer errors about
 * fields the client never sent. Webhooks read the raw request instead and keep their own types.
 * A guard rather than an interceptor: it only says no, and a route with no interceptor skips
 * Nest's RxJS wrapping of the handler, a good part of the CPU of a small request.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  private readonly readsBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.body !== undefined && this.handlerReadsBody(context)) {
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') {
        throw new DomainError(
          'unsupported_media_type',
          `the body must be JSON, sent with Content-Type: application/json (got ${type || 'none'})`,
        );
      }
    }
    return true;
  }

  private handlerReadsBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let reads = this.readsBody.get(handler);
    if (reads === undefined) {
      const args: object =
        Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass() as Type, handler.name) ?? {};
      reads = Object.keys(args).some((key) => key.startsWith(BODY_ARGUMENT));
      this.readsBody.set(handler, reads);
    }
    return reads;
  }
}
