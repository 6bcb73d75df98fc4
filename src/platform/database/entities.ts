import { Conversation } from '../../modules/conversation/conversation.entity';
import { Customer } from '../../modules/customer/customer.entity';
import { IdempotencyKey } from '../../modules/messaging/idempotency-key.entity';
import { MessageAttempt } from '../../modules/messaging/message-attempt.entity';
import { Message } from '../../modules/messaging/message.entity';

export const ENTITIES = [Customer, Conversation, Message, MessageAttempt, IdempotencyKey];
