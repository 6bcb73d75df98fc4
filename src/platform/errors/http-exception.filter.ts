import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { databaseFault } from '../database/database-unavailable';
import { DomainError, DomainErrorCode } from './domain-error';
import { ErrorResponse, HTTP_ERRORS, HttpErrorCode } from './error-body';

/**
 * Domain code → the code users see. The domain says `invalid_input` (the worker raises it too);
 * on the wire every kind of bad input is `validation_failed`.
 */
const HTTP_ERROR_BY_DOMAIN_CODE: Record<DomainErrorCode, HttpErrorCode> = {
  invalid_input: 'validation_failed',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  unsupported_media_type: 'unsupported_media_type',
  conflict: 'conflict',
  invalid_state: 'invalid_state',
  channel_mismatch: 'channel_mismatch',
  idempotency_key_reused: 'idempotency_key_reused',
  whatsapp_window_closed: 'whatsapp_window_closed',
  events_pruned: 'events_pruned',
  attachment_too_large: 'attachment_too_large',
  attachment_type_not_allowed: 'attachment_type_not_allowed',
  too_many_requests: 'too_many_requests',
};

/** Errors raised outside our code (Nest routing, Fastify body parsing) carry only a status. */
const HTTP_ERROR_BY_STATUS: Record<number, HttpErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'service_unavailable',
};

/** What to do, added to the terse messages of Fastify's body parsing. */
const ADVICE: Partial<Record<HttpErrorCode, string>> = {
  invalid_json: 'send a JSON object with Content-Type: application/json',
  payload_too_large: 'a JSON body may be at most 1 MiB',
  unsupported_media_type: 'send the body as JSON with Content-Type: application/json',
};

/** Postgres unique_violation, and the readable part of its detail ("Key (phone)=(...) exists"). */
const UNIQUE_VIOLATION = '23505';
/**
 * Postgres class 22, data exception (a NUL in text, a number or date out of range): the input
 * validation should have refused the value first, but bad input never earns a 500.
 */
const DATA_EXCEPTION_CLASS = '22';

/** How long a client should wait before retrying while Postgres is unavailable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;
/** A transaction that lost a deadlock or a serialization race can be repeated at once. */
const CONFLICT_RETRY_AFTER_SECONDS = 1;

/**
 * The one place where failures become HTTP answers in the contract's shape
 * `{statusCode, error, message}`, `error` being a stable code from HTTP_ERRORS and `message` a
 * sentence. Anything unexpected is a 500 whose details stay in the log under an error id.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const fault = databaseFault(exception);
    const body =
      fault === 'unavailable' || fault === 'conflict'
        ? this.retryLater(fault, exception, reply)
        : this.toBody(exception, http.getRequest<FastifyRequest>());
    if (typeof body.retry_after_seconds === 'number') {
      void reply.header('retry-after', body.retry_after_seconds);
    }
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorResponse {
    if (exception instanceof DomainError) {
      const body = {
        ...answer(HTTP_ERROR_BY_DOMAIN_CODE[exception.code], exception.message),
        ...exception.details,
      };
      return exception.fields.length > 0 ? { ...body, errors: exception.fields } : body;
    }
    if (exception instanceof HttpException) return fromHttpException(exception, request);
    if (exception instanceof QueryFailedError) {
      const body = this.fromDatabase(exception);
      if (body) return body;
    }
    const errorId = randomUUID();
    this.logger.error(
      { errorId, err: exception },
      `unexpected error ${errorId}: ${(exception as Error)?.message}`,
    );
    return answer('internal_error', `internal error; quote ${errorId} when reporting it`);
  }

  /**
   * Postgres is down or not answering, or the request's transaction lost a deadlock and was
   * rolled back whole: the same request will work once it is back, or at once. 503 (with
   * Retry-After) tells clients and webhook providers to retry, where a 500 reads as a bug. A
   * statement the server failed itself (a timeout, a full disk) is not here: a retry may never
   * succeed, so it is a logged 500 like any other failure of ours.
   */
  private retryLater(
    fault: 'unavailable' | 'conflict',
    exception: unknown,
    reply: FastifyReply,
  ): ErrorResponse {
    const reason = (exception as Error).message;
    if (fault === 'conflict') {
      void reply.header('retry-after', CONFLICT_RETRY_AFTER_SECONDS);
      this.logger.warn(
        { reason },
        'transaction lost a deadlock or serialization race; answered 503',
      );
      return answer(
        'service_unavailable',
        'the request collided with a concurrent change and was undone; retry it',
      );
    }
    void reply.header('retry-after', DATABASE_RETRY_AFTER_SECONDS);
    this.logger.warn({ reason }, 'database unavailable; answered 503');
    return answer('service_unavailable', 'the database is unavailable; retry in a few seconds');
  }

  /** Database errors that are the request's fault; null for the rest (a 500). */
  private fromDatabase(exception: QueryFailedError): ErrorResponse | null {
    const driverError = exception.driverError as { code?: string; detail?: string };
    if (driverError.code === UNIQUE_VIOLATION) {
      return answer('conflict', conflictMessage(driverError.detail));
    }
    if (driverError.code?.startsWith(DATA_EXCEPTION_CLASS)) {
      this.logger.warn(
        { sqlState: driverError.code },
        `input refused by the database: ${exception.message}`,
      );
      return answer(
        'validation_failed',
        'a value in the request cannot be stored (out of range or not representable); check numbers, dates and text',
      );
    }
    return null;
  }
}

function answer(error: HttpErrorCode, message: string): ErrorResponse {
  return { statusCode: HTTP_ERRORS[error], error, message };
}

function fromHttpException(exception: HttpException, request: FastifyRequest): ErrorResponse {
  const statusCode = exception.getStatus();
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? String((response as { message: unknown }).message)
      : exception.message;
  // Nest hands over Fastify's body-parsing errors as bare HttpExceptions with a string.
  const fromBodyParser = typeof response === 'string';
  let error = HTTP_ERROR_BY_STATUS[statusCode];
  if (statusCode === 400 && fromBodyParser && /json/i.test(request.headers['content-type'] ?? '')) {
    error = 'invalid_json';
  }
  if (!error) error = statusCode >= 500 ? 'internal_error' : 'validation_failed';
  const advice = fromBodyParser ? ADVICE[error] : undefined;
  return {
    statusCode,
    error,
    message: advice ? `${message.replace(/\.$/, '')}: ${advice}` : message,
  };
}

function conflictMessage(detail?: string): string {
  const match = detail && /Key \(([^)]+)\)=\(([^)]*)\) already exists/.exec(detail);
  if (!match) return 'a record with the same unique value already exists';
  // The value itself may be a phone number or an email: name only the field.
  const field = match[1].split(',').pop()!.trim();
  return `${field} is already taken`;
}
