import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FieldProblem } from './domain-error';

/**
 * Every `error` code an answer can carry, with its status. The codes are part of the contract:
 * clients switch on them, so they are never renamed (docs/API.md lists them).
 */
export const HTTP_ERRORS = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  events_pruned: 410,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  channel_mismatch: 422,
  idempotency_key_reused: 422,
  whatsapp_window_closed: 422,
  attachment_too_large: 422,
  attachment_type_not_allowed: 422,
  too_many_requests: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class FieldProblemResponse implements FieldProblem {
  @ApiProperty({ example: 'metadata.recipient', description: 'dotted path of the input field' })
  field: string;
  @ApiProperty({ example: 'metadata.recipient must be a phone number, such as +14155550100' })
  message: string;
}

/** `{statusCode, error, message}`: the one shape of every error answer. */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({
    enum: Object.keys(HTTP_ERRORS),
    example: 'validation_failed',
    description: 'a stable machine code; switch on this, not on the message',
  })
  error: string;

  @ApiProperty({
    example: 'metadata.recipient must be a phone number, such as +14155550100',
    description: 'what went wrong and what to do, for people',
  })
  message: string;

  @ApiPropertyOptional({
    type: () => FieldProblemResponse,
    isArray: true,
    description: 'validation_failed: one entry per input field at fault',
  })
  errors?: FieldProblem[];

  @ApiPropertyOptional({
    example: 840,
    description: 'too_many_requests: seconds to wait, as in the Retry-After header',
  })
  retry_after_seconds?: number;
}
