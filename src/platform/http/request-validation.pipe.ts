import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, FieldProblem } from '../errors/domain-error';
import { schemaShortcutOf } from './schema-shortcut';
import { findUnstorableValue } from './unstorable-value';

/**
 * class-validator over every DTO body and query, answering 400 `validation_failed` with one
 * entry per field. Before it: a body must be a JSON object, and no string anywhere in the input
 * (nested metadata keys included) may hold what Postgres or JSON cannot carry. A DTO with a
 * SchemaShortcut takes a matching value as it was parsed (plain data, not an instance of the
 * DTO class: nothing reads more than its fields) without class-validator's walk.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => DomainError.invalidFields(fieldProblems(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      if (metadata.type === 'body') assertJsonObject(value);
      const unstorable = findUnstorableValue(value);
      if (unstorable) throw DomainError.invalidFields([unstorable]);
      if (schemaShortcutOf(metadata.metatype)?.(value)) return value;
    }
    return super.transform(value, metadata);
  }
}

/** No body at all is an empty object (every field optional); any other JSON value is not. */
function assertJsonObject(value: unknown): void {
  if (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value)))
    return;
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  throw new DomainError('invalid_input', `expected a JSON object as the request body, got ${got}`);
}

function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // One custom message may stand for several constraints (IsInt, Min, Max): say it once.
    const messages = new Set(Object.values(error.constraints ?? {}));
    const own = [...messages].map((message) => ({
      field,
      // class-validator names only the property; a nested one is named by its whole path.
      message:
        parent && message.startsWith(`${error.property} `)
          ? `${field}${message.slice(error.property.length)}`
          : message,
    }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}
