import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError, DomainErrorCode } from './domain-error';

const STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unsupported_media_type: 415,
  conflict: 409,
  invalid_state: 409,
  channel_mismatch: 422,
  idempotency_key_reused: 422,
  whatsapp_window_closed: 422,
  attachment_too_large: 422,
  attachment_type_not_allowed: 422,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** Postgres unique_violation, and the readable part of its detail ("Key (phone)=(...) exists"). */
const UNIQUE_VIOLATION = '23505';

/**
 * The one place where failures become HTTP answers in the contract's shape
 * `{statusCode, error, message}`. Domain codes that have a name of their own (such as
 * whatsapp_window_closed) travel in `error`; anything unexpected is a 500 whose details stay in
 * the log under an error id.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = STATUS_BY_CODE[exception.code];
      const named = statusCode === 422 || exception.code === 'invalid_state';
      return {
        statusCode,
        error: named ? exception.code : REASON[statusCode],
        message: exception.message,
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? (response as { message: string | string[] }).message
          : exception.message;
      return { statusCode, error: REASON[statusCode] ?? 'Error', message };
    }
    if (exception instanceof QueryFailedError) {
      const driverError = exception.driverError as { code?: string; detail?: string };
      if (driverError.code === UNIQUE_VIOLATION) {
        return {
          statusCode: 409,
          error: REASON[409],
          message: conflictMessage(driverError.detail),
        };
      }
    }
    const errorId = randomUUID();
    this.logger.error(
      { errorId, err: exception },
      `unexpected error ${errorId}: ${(exception as Error)?.message}`,
    );
    return {
      statusCode: 500,
      error: REASON[500],
      message: `internal error; quote ${errorId} when reporting it`,
    };
  }
}

function conflictMessage(detail?: string): string {
  const match = detail && /Key \(([^)]+)\)=\(([^)]*)\) already exists/.exec(detail);
  if (!match) return 'a record with the same unique value already exists';
  // The value itself may be a phone number or an email: name only the field.
  const field = match[1].split(',').pop()!.trim();
  return `${field} is already taken`;
}
