import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { apiKeyDigests, isAuthorized } from '../../../platform/http/api-key';
import { IS_PUBLIC } from '../../../platform/http/public.decorator';
import { isSameOriginRequest, originHeadersOf } from '../request-origin';
import { sessionTokenOf } from '../session-cookie';
import { SessionService } from '../session.service';
import { ADMIN_ONLY, Caller } from './caller';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The REST API's one gate. A request is judged by the credentials it carries: an
 * `Authorization: Bearer` API key, else the session cookie. Presented credentials are always
 * checked; carrying none is allowed only when API_KEYS is empty (development: the API is open,
 * as it always was, and signing in protects nothing there). A session changing state must come
 * from a page of this origin, so another site cannot ride a signed-in browser's cookie.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly keyDigests: Buffer[];
  /** Per controller and handler: their decorators never change once the app has started. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {
    this.keyDigests = apiKeyDigests(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.accessOf(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization = request.headers.authorization;
    // An API key is judged without a lookup, so a program's call passes here synchronously.
    if (authorization !== undefined && this.keyDigests.length > 0) {
      if (!isAuthorized(authorization, this.keyDigests)) {
        throw unauthorized('a valid API key is required: Authorization: Bearer KEY');
      }
      request.caller = API_KEY_CALLER;
      return true;
    }
    return this.admitWithoutKey(request, access.adminOnly);
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const controller = context.getClass();
    const handler = context.getHandler();
    let handlers = this.routes.get(controller);
    if (!handlers) this.routes.set(controller, (handlers = new WeakMap()));
    let access = handlers.get(handler);
    if (!access) {
      const targets = [handler, controller];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false,
        adminOnly: this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) ?? false,
      };
      handlers.set(handler, access);
    }
    return access;
  }

  /** A session cookie, or nothing at all where API_KEYS is empty. */
  private async admitWithoutKey(request: FastifyRequest, adminOnly: boolean): Promise<boolean> {
    const caller = await this.identifyWithoutKey(request);
    if (adminOnly && caller.kind === 'session' && caller.agent.role !== 'admin') {
      throw new DomainError('forbidden', 'only admins manage agents');
    }
    request.caller = caller;
    return true;
  }

  private async identifyWithoutKey(request: FastifyRequest): Promise<Caller> {
    const open = this.keyDigests.length === 0;
    const token = sessionTokenOf(request.headers.cookie);
    const agent = token ? await this.sessions.findSignedInAgent(token) : null;
    if (token && agent) {
      if (
        !SAFE_METHODS.has(request.method) &&
        !isSameOriginRequest(originHeadersOf(request.headers))
      ) {
        throw new DomainError(
          'forbidden',
          'a signed-in browser may change data only from pages of this site (Origin/Sec-Fetch-Site differ)',
        );
      }
      return { kind: 'session', agent, token };
    }
    if (open) return { kind: 'anonymous' };
    throw unauthorized(
      token
        ? 'the session has ended; sign in again (POST /api/session)'
        : 'sign in (POST /api/session) or send an API key: Authorization: Bearer KEY',
    );
  }
}

interface RouteAccess {
  isPublic: boolean;
  adminOnly: boolean;
}

const API_KEY_CALLER: Caller = Object.freeze({ kind: 'api_key' as const });

const unauthorized = (message: string) => new DomainError('unauthorized', message);
