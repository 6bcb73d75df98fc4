import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Agent } from '../agent.entity';

/**
 * Who made a request: a program with an API key, an agent signed in with a session cookie, or
 * nobody, which only an API without API_KEYS (development) lets through.
 */
export type Caller =
  { kind: 'api_key' } | { kind: 'session'; agent: Agent; token: string } | { kind: 'anonymous' };

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** The caller the AuthenticationGuard found; anonymous on routes it skips (@Public). */
export const CurrentCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller =>
    context.switchToHttp().getRequest<FastifyRequest>().caller ?? { kind: 'anonymous' },
);

export const ADMIN_ONLY = 'adminOnly';

/** Refuses signed-in agents whose role is not admin; API keys pass (they stand for admins). */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/** The signed-in agent's id, or undefined for API keys and anonymous callers. */
export const agentIdOf = (caller: Caller): string | undefined =>
  caller.kind === 'session' ? caller.agent.id : undefined;
