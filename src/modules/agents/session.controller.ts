import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { DomainError } from '../../platform/errors/domain-error';
import { Public } from '../../platform/http/public.decorator';
import { CurrentCaller } from './auth/caller';
import type { Caller } from './auth/caller';
import { mapAgent } from './dto/agent.dto';
import { SessionResponse, SignInDto } from './dto/session.dto';
import { isSameOriginRequest, originHeadersOf } from './request-origin';
import {
  clearedSessionCookie,
  SESSION_COOKIE,
  sessionCookie,
  sessionTokenOf,
} from './session-cookie';
import { SessionService } from './session.service';

/** Signing in and out of the inbox: the session lives in an HttpOnly cookie. */
@Controller('api/session')
export class SessionController {
  private readonly secureCookie: boolean;

  constructor(
    private readonly sessions: SessionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.secureCookie = config.nodeEnv === 'production';
  }

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOkResponse({
    type: SessionResponse,
    description: `signed in; Set-Cookie: ${SESSION_COOKIE}=… (HttpOnly, SameSite=Lax, Secure in production, SESSION_TTL_HOURS)`,
  })
  @ApiErrorResponse('unauthorized', 'the email or the password is wrong (one message for both)')
  @ApiErrorResponse('forbidden', 'sent from a page of another site')
  @ApiErrorResponse(
    'too_many_requests',
    '10 failed sign-ins for this email within 15 min; see Retry-After',
  )
  async signIn(
    @Body() body: SignInDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    // Another site must not sign a visitor's browser in to an account of its choosing either.
    assertSameOrigin(request);
    const { agent, token } = await this.sessions.signIn(body.email, body.password);
    void reply.header(
      'set-cookie',
      sessionCookie(token, { secure: this.secureCookie, maxAgeMs: this.config.sessionTtlMs }),
    );
    return { agent: mapAgent(agent) };
  }

  @Get()
  @ApiOkResponse({ type: SessionResponse, description: 'the signed-in agent' })
  current(@CurrentCaller() caller: Caller): SessionResponse {
    if (caller.kind !== 'session') {
      throw new DomainError('unauthorized', 'no agent is signed in: POST /api/session');
    }
    return { agent: mapAgent(caller.agent) };
  }

  /** Answers 204 whether or not the session was still valid, so signing out never fails. */
  @Delete()
  @Public()
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'signed out: the session ends in every API process at once',
  })
  @ApiErrorResponse('forbidden', 'sent from a page of another site')
  async signOut(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    assertSameOrigin(request);
    const token = sessionTokenOf(request.headers.cookie);
    if (token) await this.sessions.signOut(token);
    void reply.header('set-cookie', clearedSessionCookie(this.secureCookie));
  }
}

function assertSameOrigin(request: FastifyRequest): void {
  if (!isSameOriginRequest(originHeadersOf(request.headers))) {
    throw new DomainError('forbidden', 'sign in and out from pages of this site only');
  }
}
