import { Controller, Get, HttpCode, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiProduces,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../platform/errors/domain-error';
import { IdParam } from '../../platform/http/id-param';
import { StreamsMultipart } from '../../platform/http/multipart';
import { Public } from '../../platform/http/public.decorator';
import { Attachment } from './attachment.entity';
import { AttachmentService } from './attachment.service';
import { fileTooLarge } from './storage/file-spool';
import {
  AttachmentResponse,
  mapAttachment,
  mapUploadedAttachment,
  UploadedAttachmentResponse,
} from './dto/attachment.dto';
import type { Readable } from 'node:stream';

const UPLOAD_FIELD = 'file';

@Controller('api')
export class AttachmentController {
  constructor(private readonly attachments: AttachmentService) {}

  @Post('attachments')
  @HttpCode(201)
  @StreamsMultipart()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [UPLOAD_FIELD],
      properties: { [UPLOAD_FIELD]: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: UploadedAttachmentResponse })
  async upload(@Req() request: FastifyRequest): Promise<UploadedAttachmentResponse> {
    if (!request.isMultipart()) {
      throw new DomainError(
        'unsupported_media_type',
        `send multipart/form-data with the file in the field "${UPLOAD_FIELD}"`,
      );
    }
    // One byte over the limit reaches the spool, which refuses it; the plugin's own limit
    // (30 MB for webhook forms) would cut the file short instead.
    const part = await request.file({ limits: { fileSize: this.attachments.maxBytes + 1 } });
    if (!part || part.fieldname !== UPLOAD_FIELD) {
      part?.file.resume();
      throw new DomainError('invalid_input', `${UPLOAD_FIELD}: one file is required`);
    }
    const stored = await this.attachments.storeFile(
      part.file,
      part.mimetype,
      part.filename || null,
    );
    if (part.file.truncated) throw fileTooLarge(this.attachments.maxBytes);
    return mapUploadedAttachment(stored);
  }

  @Get('attachments/:id/meta')
  @ApiOkResponse({ type: AttachmentResponse })
  async meta(@IdParam() id: string): Promise<AttachmentResponse> {
    return mapAttachment(await this.attachments.getAttachment(id));
  }

  @Get('attachments/:id')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'the stored file' })
  async download(
    @IdParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const { attachment, content } = await this.attachments.openContent(id);
    return streamFile(reply, attachment, content);
  }

  /** The signed link given to providers and web clients (no API key: the signature is the key). */
  @Public()
  @Get('media/:id')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'the stored file' })
  async signedDownload(
    @IdParam() id: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    this.attachments.verifySignedUrl(id, String(expires ?? ''), String(signature ?? ''));
    const { attachment, content } = await this.attachments.openContent(id);
    return streamFile(reply, attachment, content);
  }
}

function streamFile(
  reply: FastifyReply,
  attachment: Attachment,
  content: Readable,
): StreamableFile {
  void reply.header('cache-control', 'private, max-age=0');
  return new StreamableFile(content, {
    type: attachment.contentType,
    length: attachment.size ?? undefined,
    disposition: contentDisposition(attachment.filename ?? attachment.id),
  });
}

/** RFC 6266: an ASCII fallback and the exact UTF-8 name. */
function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
