import type { FieldProblem } from '../errors/domain-error';

/** Deeper than any sane metadata, and shallow enough that no walk of it can exhaust the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * The first place in a request's JSON (body or query) that Postgres cannot store or that is not
 * Unicode: a NUL character, a lone UTF-16 surrogate, or nesting deeper than MAX_JSON_DEPTH. One
 * walk over keys and values; null when there is none (the common case costs two native string
 * checks per string).
 */
export function findUnstorableValue(value: unknown, path = '', depth = 0): FieldProblem | null {
  if (typeof value === 'string') {
    const reason = whyUnstorable(value);
    return reason ? problem(path || 'value', reason) : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const where = path || 'the body';
  if (depth >= MAX_JSON_DEPTH) {
    return problem(path.split(/[.[]/)[0], `is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableValue(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const reason = whyUnstorable(key);
    if (reason) return { field: where, message: `${where} has a key that ${reason}` };
    const found = findUnstorableValue(
      (value as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
      depth + 1,
    );
    if (found) return found;
  }
  return null;
}

/** NUL, or a high surrogate without its low half, or a low one without its high half. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function whyUnstorable(text: string): string | null {
  const found = UNSTORABLE.exec(text);
  if (!found) return null;
  return found[0] === '\0'
    ? 'contains a NUL character (\\u0000), which cannot be stored'
    : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

function problem(field: string, reason: string): FieldProblem {
  return { field, message: `${field} ${reason}` };
}
