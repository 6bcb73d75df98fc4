/**
 * Errors the domain raises, whichever process calls it (API or worker). Only the HTTP layer
 * turns a code into a status (see http-exception.filter.ts).
 */
export type DomainErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'invalid_state'
  | 'channel_mismatch'
  | 'idempotency_key_reused'
  | 'whatsapp_window_closed'
  | 'unauthorized'
  | 'forbidden'
  | 'unsupported_media_type'
  | 'events_pruned';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Machine-readable fields the client needs to act, sent next to `message`. */
    readonly details?: Record<string, string | number>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(resource: string, id: string): DomainError {
    return new DomainError('not_found', `${resource} ${id} not found`);
  }
}
