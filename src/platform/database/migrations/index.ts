import { InitialSchema1764115200000 } from './1764115200000-initial-schema';
import { InboundEventsAndReceipts1764201600000 } from './1764201600000-inbound-events-and-receipts';
import { EventLog1764288000000 } from './1764288000000-event-log';
import { RetrySignal1764374400000 } from './1764374400000-retry-signal';
import { HeldReceipts1764460800000 } from './1764460800000-held-receipts';
import { OutgoingWebhooks1764547200000 } from './1764547200000-outgoing-webhooks';
import { Attachments1764633600000 } from './1764633600000-attachments';
import { DataLifecycle1764720000000 } from './1764720000000-data-lifecycle';
import { EventSeqAtAppend1764806400000 } from './1764806400000-event-seq-at-append';
import { ErasureAtSize1764892800000 } from './1764892800000-erasure-at-size';
import { AppendLockAndSettledDeliveries1764979200000 } from './1764979200000-append-lock-and-settled-deliveries';
import { RemovalLookupIndexes1765152000000 } from './1765152000000-removal-lookup-indexes';
import { AgentsAndInbox1765238400000 } from './1765238400000-agents-and-inbox';
import { Senders1765324800000 } from './1765324800000-senders';
import { InboundEventSender1765584000000 } from './1765584000000-inbound-event-sender';

/** Every migration, oldest first; listed explicitly so that ts and compiled js load the same set. */
export const MIGRATIONS = [
  InitialSchema1764115200000,
  InboundEventsAndReceipts1764201600000,
  EventLog1764288000000,
  RetrySignal1764374400000,
  HeldReceipts1764460800000,
  OutgoingWebhooks1764547200000,
  Attachments1764633600000,
  DataLifecycle1764720000000,
  EventSeqAtAppend1764806400000,
  ErasureAtSize1764892800000,
  AppendLockAndSettledDeliveries1764979200000,
  RemovalLookupIndexes1765152000000,
  AgentsAndInbox1765238400000,
  Senders1765324800000,
  InboundEventSender1765584000000,
];
