import type { SendMessageJob } from '../../platform/queue/queue-names';
import type { Channel } from '../../shared/channel';
import type { SendResult } from '../../providers/outbound-client';

/**
 * A send the provider accepted whose outcome the database did not take. Kept in the job (JSON,
 * hence ISO timestamps) so that the next run writes it instead of sending again.
 */
export interface AcceptedSend extends SendResult {
  channel: Channel;
  /** Absent in jobs kept before senders existed. */
  senderId?: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
}

/** A job's data as the worker reads and extends it; the API enqueues only `messageId`. */
export interface OutboundJob extends SendMessageJob {
  accepted?: AcceptedSend;
  /** Runs given back because Postgres was unavailable: not tries, so they spend no budget. */
  databaseWaits?: number;
  /** Runs given back for the sender's rate or pause before any send: no budget spent either. */
  senderWaits?: number;
}
