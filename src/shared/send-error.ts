export type SendErrorKind = 'transient' | 'permanent';

/**
 * What the provider throttled: the whole account or number (pause that sender in every worker), or
 * only our traffic to one recipient (delay that message, let the sender's others go).
 */
export type ThrottleScope = 'channel' | 'recipient';

export interface SendErrorDetails {
  kind: SendErrorKind;
  httpStatus?: number;
  /** The provider's own error code (Graph `error.code`, Twilio `code`, SMTP reply code). */
  providerCode?: string | number;
  /** From a Retry-After header: never retry sooner. */
  retryAfterMs?: number;
  /** Set when the provider throttled us; says whether the channel or only this message waits. */
  rateLimited?: ThrottleScope;
}

/** A provider call that did not hand the message over, with what we know about retrying it. */
export class SendError extends Error implements SendErrorDetails {
  readonly kind: SendErrorKind;
  readonly httpStatus?: number;
  readonly providerCode?: string | number;
  readonly retryAfterMs?: number;
  readonly rateLimited?: ThrottleScope;

  constructor(message: string, details: SendErrorDetails) {
    super(message);
    this.name = 'SendError';
    Object.assign(this, details);
  }

  static transient(message: string, details: Omit<SendErrorDetails, 'kind'> = {}): SendError {
    return new SendError(message, { ...details, kind: 'transient' });
  }

  static permanent(message: string, details: Omit<SendErrorDetails, 'kind'> = {}): SendError {
    return new SendError(message, { ...details, kind: 'permanent' });
  }
}
