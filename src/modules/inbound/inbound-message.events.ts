import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Channel } from '../../shared/channel';

export interface InboundMessageReceived {
  messageId: string;
  conversationId: string;
  customerId: string;
  channel: Channel;
}

const RECEIVED = 'received';

/**
 * In-process notice of each newly stored inbound message, published after its transaction
 * commits, for listeners inside the API process (such as a future real-time gateway).
 */
@Injectable()
export class InboundMessageEvents {
  private readonly emitter = new EventEmitter();

  publish(event: InboundMessageReceived): void {
    this.emitter.emit(RECEIVED, event);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (event: InboundMessageReceived) => void): () => void {
    this.emitter.on(RECEIVED, listener);
    return () => this.emitter.off(RECEIVED, listener);
  }
}
