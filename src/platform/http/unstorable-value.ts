import type { FieldProblem } from '../errors/domain-error';

/** Deeper than any sane metadata, and shallow enough that no walk of it can exhaust the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * The first place in a request's JSON (body or query) that Postgres cannot store or that is not
 * Unicode: a NUL character, a lone UTF-16 surrogate, or nesting deeper than MAX_JSON_DEPTH. One
 * walk over keys and values; null when there is none. The common case costs one character-class
 * test per string and builds no path: the path is put together only for a problem found.
 */
export function findUnstorableValue(value: unknown): FieldProblem | null {
  const found = walk(value, 0);
  if (!found) return null;
  const path = found.path.reduce<string>(
    (joined, key) =>
      typeof key === 'number' ? `${joined}[${key}]` : joined ? `${joined}.${key}` : key,
    '',
  );
  const field = (found.topLevelOnly ? path.split(/[.[]/)[0] : path) || 'the body';
  return { field, message: `${field} ${found.reason}` };
}

interface Found {
  /** Keys and indexes from the top, filled in on the way back up. */
  path: (string | number)[];
  reason: string;
  topLevelOnly?: boolean;
}

function walk(value: unknown, depth: number): Found | null {
  if (typeof value === 'string') {
    const reason = whyUnstorable(value);
    return reason ? { path: [], reason } : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) {
    return {
      path: [],
      reason: `is nested more than ${MAX_JSON_DEPTH} levels deep`,
      topLevelOnly: true,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depth + 1);
      if (found) {
        found.path.unshift(i);
        return found;
      }
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const keyReason = whyUnstorable(key);
    if (keyReason) return { path: [], reason: `has a key that ${keyReason}` };
    const found = walk((value as Record<string, unknown>)[key], depth + 1);
    if (found) {
      found.path.unshift(key);
      return found;
    }
  }
  return null;
}

/** Cheap first test: NUL or any surrogate at all (pairs included, which are fine). */
const SUSPECT = /[\0\uD800-\uDFFF]/;
/** NUL, or a high surrogate without its low half, or a low one without its high half. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored as it is, or null when it can. */
export function whyUnstorable(text: string): string | null {
  if (!SUSPECT.test(text)) return null;
  const found = UNSTORABLE.exec(text);
  if (!found) return null;
  return found[0] === '\0'
    ? 'contains a NUL character (\\u0000), which cannot be stored'
    : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/**
 * `text` as it can be stored: NUL characters removed, lone surrogates replaced by U+FFFD (what
 * a UTF-8 decoder shows for them). For text a person wrote, where one bad character must not
 * lose the rest.
 */
export function toStorableText(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text.replace(UNSTORABLE_ALL, (found) => (found === '\0' ? '' : '\uFFFD'));
}
