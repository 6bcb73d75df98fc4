import Ajv, { type SchemaObject, type ValidateFunction } from 'ajv';

const SCHEMA_SHORTCUT = 'schemaShortcut';

/** Strict JSON Schema: no type coercion, no defaults, nothing removed; a mismatch only says no. */
const ajv = new Ajv({
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  allowUnionTypes: true,
});

/**
 * A compiled JSON Schema for a DTO whose every match class-validator would accept exactly as it
 * is: RequestValidationPipe passes a matching body through untouched and sends every other one
 * to class-validator, which words the 400. The schema may be stricter than the DTO (whatever it
 * leaves out only costs the slower path) but never looser; the DTO's spec checks that. For the
 * hot routes only, where class-validator and class-transformer are a fair share of a request.
 */
export function SchemaShortcut(schema: SchemaObject): ClassDecorator {
  const matches = ajv.compile(schema);
  return (target) => Reflect.defineMetadata(SCHEMA_SHORTCUT, matches, target);
}

/** The DTO's own compiled shortcut: a subclass may add fields or rules its parent's schema lacks. */
export function schemaShortcutOf(type: unknown): ValidateFunction | undefined {
  return typeof type === 'function' ? Reflect.getOwnMetadata(SCHEMA_SHORTCUT, type) : undefined;
}
