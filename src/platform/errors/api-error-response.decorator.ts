import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse, HTTP_ERRORS, HttpErrorCode } from './error-body';

/**
 * An error answer particular to one operation, such as `@ApiErrorResponse('conflict', 'phone,
 * email or external_id already taken')`. The generic ones (400, 401, 404, 413, 415, 500) are
 * added to every operation that can give them (error-responses.openapi.ts).
 */
export const ApiErrorResponse = (error: HttpErrorCode | HttpErrorCode[], description: string) => {
  const codes = Array.isArray(error) ? error : [error];
  return ApiResponse({
    status: HTTP_ERRORS[codes[0]],
    description: `${codes.join(' | ')}: ${description}`,
    type: ErrorResponse,
  });
};
