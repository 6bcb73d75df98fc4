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

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {
    this.keyDigests = apiKeyDigests(config.apiKeys);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = await this.identify(request);
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets);
    if (adminOnly && caller.kind === 'session' && caller.agent.role !== 'admin') {
      throw new DomainError('forbidden', 'only admins manage agents');
    }
    request.caller = caller;
    return true;
  }

  private async identify(request: FastifyRequest): Promise<Caller> {
    const open = this.keyDigests.length === 0;
    const authorization = request.headers.authorization;
    if (authorization !== undefined && !open) {
      if (isAuthorized(authorization, this.keyDigests)) return { kind: 'api_key' };
      throw unauthorized('a valid API key is required: Authorization: Bearer KEY');
    }
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

const unauthorized = (message: string) => new DomainError('unauthorized', message);
