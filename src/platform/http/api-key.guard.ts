import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DomainError } from '../errors/domain-error';
import { IS_PUBLIC } from './public.decorator';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** What isAuthorized() compares against, for callers outside HTTP (the socket.io handshake). */
export const apiKeyDigests = (keys: string[]): Buffer[] => keys.map(digest);

/** `Authorization: Bearer KEY` against API_KEYS; with no keys configured the API is open. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    // Comparing fixed-length digests keeps the check constant-time whatever the key lengths.
    this.keyDigests = config.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keyDigests.length === 0) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    if (!isAuthorized(header, this.keyDigests)) {
      throw new DomainError(
        'unauthorized',
        'a valid API key is required: Authorization: Bearer KEY',
      );
    }
    return true;
  }
}

export function isAuthorized(header: string | undefined, keyDigests: Buffer[]): boolean {
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return false;
  const presented = digest(match[1]);
  return keyDigests.reduce((found, key) => timingSafeEqual(key, presented) || found, false);
}
