import type { FastifyRequest } from 'fastify';

/** A file of a multipart form read whole (webhook forms, bounded by the multipart limits). */
export interface FormFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** All files of one form together: SendGrid caps a whole message at 30 MB. */
const MAX_FORM_FILE_BYTES = 30 * 1024 * 1024;

export type FormRequest = FastifyRequest & { formFiles?: FormFile[] };

/**
 * Route config of a route that reads its multipart body as a stream itself
 * (`@RouteConfig(STREAMED_MULTIPART)`): the form is then not collected before the handler.
 */
export const STREAMED_MULTIPART = { multipart: 'stream' } as const;

/**
 * preValidation: a multipart body becomes `request.body` (its text fields) and
 * `request.formFiles` (its files), except on routes that stream it (STREAMED_MULTIPART).
 */
export async function collectMultipartForm(request: FastifyRequest): Promise<void> {
  const config = request.routeOptions.config as { multipart?: string } | undefined;
  if (!request.isMultipart() || config?.multipart === STREAMED_MULTIPART.multipart) return;
  const fields: Record<string, string | string[]> = {};
  const files: FormFile[] = [];
  let fileBytes = 0;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const data = await part.toBuffer();
      fileBytes += data.length;
      if (fileBytes > MAX_FORM_FILE_BYTES) {
        throw Object.assign(new Error(`form files over ${MAX_FORM_FILE_BYTES} bytes in total`), {
          statusCode: 413,
        });
      }
      files.push({
        field: part.fieldname,
        filename: part.filename,
        contentType: part.mimetype,
        data,
      });
    } else if (typeof part.value === 'string') {
      const earlier = fields[part.fieldname];
      fields[part.fieldname] =
        earlier === undefined
          ? part.value
          : [...(Array.isArray(earlier) ? earlier : [earlier]), part.value];
    }
  }
  request.body = fields;
  (request as FormRequest).formFiles = files;
}
