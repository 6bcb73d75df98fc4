import fastifyMultipart from '@fastify/multipart';
import {
  applyDecorators,
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpException,
  NestInterceptor,
  PayloadTooLargeException,
  UseInterceptors,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, Observable, switchMap } from 'rxjs';
import type { Readable } from 'node:stream';

export interface MultipartRouteOptions {
  /** Every field and file of one request together, in bytes; more answers 413. */
  maxBytes: number;
  /**
   * Text kept of the form, in bytes: of each field, and of all fields together. Beyond it a
   * field is cut (and named in `request.cutFields`) rather than refused: the text is what the
   * handler will parse, store and hash in one go, so it is bounded well below maxBytes, while
   * the request still succeeds.
   */
  maxText?: { field: number; total: number };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Set by AcceptsMultipart (the form is read after the guards, within these limits) or by
     * StreamsMultipart (the handler reads the stream itself).
     */
    multipart?: MultipartRouteOptions | 'stream';
  }
}

/** A file of a form read by AcceptsMultipart, whole (bounded by the route's maxBytes). */
export interface FormFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/**
 * A request whose form AcceptsMultipart read: its text fields are the body, its files here, and
 * the names of the fields cut to the route's maxText.
 */
export type FormRequest = FastifyRequest & { formFiles?: FormFile[]; cutFields?: string[] };

/**
 * Lets a route take multipart/form-data. Nothing of the form is read before the route's guards
 * have passed (an unauthenticated upload is refused without reading it); then its text fields
 * become `request.body` and its files `request.formFiles`, all within `maxBytes`. Every other route answers
 * 415 to a multipart request before reading a byte of it.
 */
export function AcceptsMultipart(options: MultipartRouteOptions): MethodDecorator {
  return applyDecorators(
    RouteConfig({ multipart: options }),
    UseInterceptors(new MultipartFieldsInterceptor(options)),
  );
}

/**
 * Lets a route read a multipart upload as a stream itself (`request.file()`), after its guards:
 * nothing is buffered, whatever the size.
 */
export function StreamsMultipart(): MethodDecorator {
  return RouteConfig({ multipart: 'stream' });
}

/** Interceptors run after guards: this is where an accepted form is read. */
class MultipartFieldsInterceptor implements NestInterceptor {
  constructor(private readonly options: MultipartRouteOptions) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!request.isMultipart()) return next.handle();
    const read = readFields(request, this.options).catch((error: unknown) => {
      // The rest of the form is still on the wire, unread: close the connection after the answer
      // rather than read (and discard) whatever the client still sends.
      void http.getResponse<FastifyReply>().header('connection', 'close');
      throw error;
    });
    return from(read).pipe(
      switchMap(({ fields, files, cut }) => {
        request.body = fields;
        Object.assign(request as FormRequest, { formFiles: files, cutFields: cut });
        return next.handle();
      }),
    );
  }
}

interface Form {
  fields: Record<string, string>;
  files: FormFile[];
  cut: string[];
}

async function readFields(request: FastifyRequest, options: MultipartRouteOptions): Promise<Form> {
  const { maxBytes } = options;
  try {
    return await readWithin(request, options);
  } catch (error) {
    if (error instanceof HttpException) throw error;
    // The parser's own limits carry 413; anything else is a form that does not parse.
    const { statusCode, message } = error as { statusCode?: number; message: string };
    if (statusCode === 413) throw tooLarge(maxBytes);
    throw new BadRequestException(`malformed multipart form: ${message}`);
  }
}

async function readWithin(request: FastifyRequest, options: MultipartRouteOptions): Promise<Form> {
  const { maxBytes, maxText = { field: maxBytes, total: maxBytes } } = options;
  if (Number(request.headers['content-length']) > maxBytes) throw tooLarge(maxBytes);
  const fields: Record<string, string> = {};
  const files: FormFile[] = [];
  const cut: string[] = [];
  let total = 0;
  let textLeft = maxText.total;
  const count = (bytes: number) => {
    total += bytes;
    if (total > maxBytes) throw tooLarge(maxBytes);
  };
  // The parser drops what a field holds beyond fieldSize as it streams by (valueTruncated).
  const parts = request.parts({ limits: { fieldSize: maxText.field, fileSize: maxBytes } });
  for await (const part of parts) {
    if (part.type === 'file') {
      files.push({
        field: part.fieldname,
        filename: part.filename,
        contentType: part.mimetype,
        data: await readCounted(part.file, count),
      });
    } else {
      if (part.valueTruncated && !options.maxText) throw tooLarge(maxBytes);
      const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
      const bytes = Buffer.byteLength(value);
      // A cut field's dropped bytes are not counted here: the parser discards them as they
      // stream by, and a declared Content-Length over maxBytes was refused above.
      count(bytes);
      const kept = bytes <= textLeft ? value : cutToBytes(value, textLeft);
      if (part.valueTruncated || kept !== value) cut.push(part.fieldname);
      textLeft -= Math.min(bytes, textLeft);
      fields[part.fieldname] = kept;
    }
  }
  return { fields, files, cut };
}

/** The first `bytes` bytes of `text` in UTF-8 (a character split at the end is dropped). */
function cutToBytes(text: string, bytes: number): string {
  return Buffer.from(text)
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

async function readCounted(file: Readable, count: (bytes: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of file) {
    count((chunk as Buffer).length);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `Request body is too large: a multipart form here may hold ${maxBytes} bytes`,
  );
}

/**
 * Registers the multipart parser for the routes that opt in with AcceptsMultipart. It reads
 * nothing by itself; the hook refuses a form to any other route before its body is read.
 */
export async function registerMultipart(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyMultipart);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isMultipartType(request)) return;
      if (request.routeOptions.config.multipart) return;
      await reply.code(415).send({
        statusCode: 415,
        error: 'unsupported_media_type',
        message: 'this endpoint does not accept multipart/form-data: send JSON',
      });
    });
}

function isMultipartType(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/');
}
