import { AgentSession } from '../../modules/agents/agent-session.entity';
import { Agent } from '../../modules/agents/agent.entity';
import { Attachment } from '../../modules/attachments/attachment.entity';
import { Conversation } from '../../modules/conversation/conversation.entity';
import { Customer } from '../../modules/customer/customer.entity';
import { EventRecord } from '../../modules/events/event-record.entity';
import { InboundEvent } from '../../modules/inbound/inbound-event.entity';
import { IdempotencyKey } from '../../modules/messaging/idempotency-key.entity';
import { MessageAttempt } from '../../modules/messaging/message-attempt.entity';
import { MessageReceipt } from '../../modules/messaging/message-receipt.entity';
import { Message } from '../../modules/messaging/message.entity';
import { WebhookDeliveryAttempt } from '../../modules/webhooks/webhook-delivery-attempt.entity';
import { WebhookDelivery } from '../../modules/webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../../modules/webhooks/webhook-endpoint.entity';

export const ENTITIES = [
  Customer,
  Conversation,
  Message,
  MessageAttempt,
  IdempotencyKey,
  MessageReceipt,
  InboundEvent,
  EventRecord,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  Attachment,
  Agent,
  AgentSession,
];
