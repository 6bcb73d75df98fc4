import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';

/** The `:id` route parameter, which must be a UUID (400 naming it otherwise). */
export const IdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () => DomainError.invalidField('id', 'id must be a UUID'),
    }),
  );
