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
  | 'too_many_requests'
  | 'unsupported_media_type'
  | 'events_pruned'
  | 'attachment_too_large'
  | 'attachment_type_not_allowed';

/** One input field at fault: `metadata.recipient`, `template.name`, or `id` for a path parameter. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  readonly fields: FieldProblem[];

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    fields: FieldProblem[] = [],
    /** Machine-readable fields the client needs to act, sent next to `message`. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.fields = fields;
  }

  /** The caller must wait: sent with a Retry-After header and `retry_after_seconds`. */
  static tooManyRequests(message: string, retryAfterSeconds: number): DomainError {
    return new DomainError('too_many_requests', message, [], {
      retry_after_seconds: retryAfterSeconds,
    });
  }

  static notFound(resource: string, id: string): DomainError {
    return new DomainError('not_found', `${resource} ${id} not found`);
  }

  /** Bad input in one named field; the message is the whole sentence, field name included. */
  static invalidField(field: string, message: string): DomainError {
    return new DomainError('invalid_input', message, [{ field, message }]);
  }

  /** Bad input in several fields at once: one sentence per field, joined. */
  static invalidFields(fields: FieldProblem[]): DomainError {
    return new DomainError('invalid_input', fields.map((f) => f.message).join('; '), fields);
  }
}
