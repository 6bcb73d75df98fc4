import type { OpenAPIObject } from '@nestjs/swagger';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponse' };
const BODY_METHODS = new Set(['post', 'put', 'patch']);

/** The generic error answers, each with the condition under which an operation can give it. */
const GENERIC: Record<string, { description: string; applies: (op: OperationFacts) => boolean }> = {
  '400': {
    description:
      'validation_failed: a parameter or body field is wrong (named in `errors`) | invalid_json: the body is not JSON',
    applies: (op) => op.hasInput,
  },
  '401': {
    description:
      'unauthorized: no valid API key (Authorization: Bearer KEY) or signed-in session (cookie)',
    applies: (op) => op.needsApiKey,
  },
  '404': {
    description: 'not_found: no resource has that id',
    applies: (op) => op.hasPathId,
  },
  '413': {
    description: 'payload_too_large: the body is over 1 MiB',
    applies: (op) => op.hasBody,
  },
  '415': {
    description: 'unsupported_media_type: the body is not in a content type this operation reads',
    applies: (op) => op.hasBody,
  },
  '500': {
    description: 'internal_error: an unexpected failure; the message holds an id to report',
    applies: () => true,
  },
};

interface OperationFacts {
  hasInput: boolean;
  hasBody: boolean;
  hasPathId: boolean;
  needsApiKey: boolean;
}

/**
 * Lists on every operation the error answers it can give, all in the ErrorResponse shape. An
 * operation's own declarations (`@ApiErrorResponse`, a webhook's 401/403) are kept as they are.
 */
export function documentErrorResponses(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      const operation = value as OperationObject;
      if (typeof operation !== 'object' || !operation || !('responses' in operation)) continue;
      const parameters = (operation.parameters ?? []) as { in: string }[];
      // Fastify reads the body of any of these before routing (limit, content type, JSON).
      const hasBody = BODY_METHODS.has(method);
      const facts: OperationFacts = {
        hasBody,
        hasInput: hasBody || parameters.length > 0,
        hasPathId: parameters.some((parameter) => parameter.in === 'path'),
        needsApiKey: (operation.security ?? []).length > 0,
      };
      const responses = operation.responses;
      for (const [status, generic] of Object.entries(GENERIC)) {
        if (responses[status] || !generic.applies(facts)) continue;
        responses[status] = {
          description: generic.description,
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        };
      }
    }
  }
}
