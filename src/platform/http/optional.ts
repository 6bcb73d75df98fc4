import { ValidateIf } from 'class-validator';

/**
 * A field of a create or update that may be left out. Unlike class-validator's IsOptional, which
 * skips null too, a null is validated like any other value and so answers 400 naming the field
 * ("metadata must be an object") instead of reaching a NOT NULL column. A field that null clears
 * says so with IsOptional, and its API docs say `nullable`.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined);
}
