import { Inject, Logger } from '@nestjs/common';
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
import { apiKeyDigests, isAuthorized } from '../../platform/http/api-key.guard';
import { EventRelay, EventSocketData } from './event-relay';
import { applySubscriptionChange, parseHandshake } from './event-subscription';

export interface SubscriptionAck {
  ok: boolean;
  error?: string;
  /** Null when the socket receives every event. */
  conversation_ids?: string[] | null;
}

/**
 * socket.io on the API's own port. The handshake carries the API key (`auth.token`, or an
 * `Authorization: Bearer` header for non-browser clients) and optionally `last_seq`.
 */
@WebSocketGateway()
export class EventsGateway implements OnGatewayInit<Server>, OnGatewayConnection<Socket> {
  private readonly logger = new Logger(EventsGateway.name);
  private readonly keyDigests: Buffer[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly relay: EventRelay,
  ) {
    this.keyDigests = apiKeyDigests(config.apiKeys);
  }

  afterInit(server: Server): void {
    server.use((socket, next) => {
      const handshake = parseHandshake(socket.handshake.auth);
      if ('error' in handshake) return next(new Error(handshake.error));
      const header = handshake.token
        ? `Bearer ${handshake.token}`
        : socket.handshake.headers.authorization;
      if (this.keyDigests.length > 0 && !isAuthorized(header, this.keyDigests)) {
        this.logger.warn({ address: socket.handshake.address }, 'socket refused: no valid API key');
        return next(new Error('unauthorized: a valid API key is required in auth.token'));
      }
      (socket.data as EventSocketData).handshake = handshake;
      next();
    });
    this.relay.attach(server);
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
