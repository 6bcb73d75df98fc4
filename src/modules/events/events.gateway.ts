import { Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { apiKeyDigests, isAuthorized } from '../../platform/http/api-key';
import { isSameOriginRequest, originHeadersOf } from '../agents/request-origin';
import { sessionTokenOf } from '../agents/session-cookie';
import { SessionService } from '../agents/session.service';
import { EventRelay, EventSocketData } from './event-relay';
import { applySubscriptionChange, parseHandshake } from './event-subscription';

/**
 * How often sockets opened with a session cookie are checked against their session: a signed-out
 * or expired session's sockets are closed within this, in every API process.
 */
export const SESSION_SOCKET_CHECK_MS = 1_000;

export interface SubscriptionAck {
  ok: boolean;
  error?: string;
  /** Null when the socket receives every event. */
  conversation_ids?: string[] | null;
}

/**
 * socket.io on the API's own port. The handshake carries the API key (`auth.token`, or an
 * `Authorization: Bearer` header for non-browser clients) or, from the inbox page, the session
 * cookie; and optionally `last_seq`.
 */
@WebSocketGateway()
export class EventsGateway
  implements OnGatewayInit<Server>, OnGatewayConnection<Socket>, OnModuleDestroy
{
  private readonly logger = new Logger(EventsGateway.name);
  private readonly keyDigests: Buffer[];
  /** Sockets let in by a session cookie, by the session's token. */
  private readonly sessionSockets = new Map<string, Set<Socket>>();
  private sessionCheck?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly relay: EventRelay,
    private readonly sessions: SessionService,
  ) {
    this.keyDigests = apiKeyDigests(config.apiKeys);
  }

  afterInit(server: Server): void {
    server.use((socket, next) => {
      const handshake = parseHandshake(socket.handshake.auth);
      if ('error' in handshake) return next(new Error(handshake.error));
      this.admits(socket, handshake.token).then(
        (admitted) => {
          if (typeof admitted === 'string') this.watchSession(socket, admitted);
          if (!admitted) {
            this.logger.warn(
              { address: socket.handshake.address },
              'socket refused: no valid API key or session',
            );
            return next(
              new Error(
                'unauthorized: a valid API key in auth.token, or a signed-in session, is required',
              ),
            );
          }
          (socket.data as EventSocketData).handshake = handshake;
          next();
        },
        (error: Error) => next(error),
      );
    });
    this.relay.attach(server);
  }

  /**
   * Like the REST API: an API key when one is given, else a session, else nothing when API_KEYS
   * is empty. A session must come from a page of this origin: browsers open WebSockets to any
   * site with its cookies, so without the check another site could read the inbox live.
   */
  private async admits(socket: Socket, token: string | undefined): Promise<boolean | string> {
    const { headers } = socket.handshake;
    const open = this.keyDigests.length === 0;
    const authorization = token ? `Bearer ${token}` : headers.authorization;
    if (authorization !== undefined && !open) return isAuthorized(authorization, this.keyDigests);
    const sessionToken = sessionTokenOf(headers.cookie);
    if (sessionToken && isSameOriginRequest(originHeadersOf(headers))) {
      if (await this.sessions.findSignedInAgent(sessionToken)) return sessionToken;
    }
    return open;
  }

  onModuleDestroy(): void {
    clearInterval(this.sessionCheck);
  }

  /** A socket a session let in lives as long as the session: sign-out closes it too. */
  private watchSession(socket: Socket, token: string): void {
    const sockets = this.sessionSockets.get(token) ?? new Set<Socket>();
    sockets.add(socket);
    this.sessionSockets.set(token, sockets);
    socket.once('disconnect', () => {
      sockets.delete(socket);
      if (sockets.size === 0) this.sessionSockets.delete(token);
    });
    this.sessionCheck ??= setInterval(
      () => void this.closeEndedSessions(),
      SESSION_SOCKET_CHECK_MS,
    );
  }

  private async closeEndedSessions(): Promise<void> {
    const tokens = [...this.sessionSockets.keys()];
    if (tokens.length === 0) return;
    try {
      const alive = await this.sessions.stillSignedIn(tokens);
      for (const token of tokens.filter((token) => !alive.has(token))) {
        for (const socket of this.sessionSockets.get(token) ?? []) socket.disconnect(true);
        this.sessionSockets.delete(token);
      }
    } catch (error) {
      // Postgres away: the REST API answers 503 meanwhile; the sockets are checked next time.
      this.logger.warn({ reason: (error as Error).message }, "cannot check sockets' sessions");
    }
  }

  handleConnection(socket: Socket): void {
    this.relay.admit(socket, (socket.data as EventSocketData).handshake);
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): SubscriptionAck {
    return this.change(socket, 'subscribe', body);
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): SubscriptionAck {
    return this.change(socket, 'unsubscribe', body);
  }

  private change(
    socket: Socket,
    change: 'subscribe' | 'unsubscribe',
    body: unknown,
  ): SubscriptionAck {
    const data = socket.data as EventSocketData;
    const next = applySubscriptionChange(data.subscription, change, body);
    if ('error' in next) return { ok: false, error: next.error };
    this.relay.resubscribe(socket, next);
    return {
      ok: true,
      conversation_ids: next.all ? null : [...next.conversationIds],
    };
  }
}
