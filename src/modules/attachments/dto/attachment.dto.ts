import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ATTACHMENT_STATUSES, type Attachment, type AttachmentStatus } from '../attachment.entity';

export class AttachmentResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: [...ATTACHMENT_STATUSES], example: 'stored' })
  status: AttachmentStatus;
  @ApiProperty({ example: 'application/pdf' })
  content_type: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'invoice.pdf' })
  filename: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 48213 })
  size: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'hex' })
  sha256: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: null })
  error: string | null;
}

/** 201 of POST /api/attachments. */
export class UploadedAttachmentResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ example: 'application/pdf' })
  content_type: string;
  @ApiProperty({ type: String, nullable: true, example: 'invoice.pdf' })
  filename: string | null;
  @ApiProperty({ example: 48213 })
  size: number;
  @ApiProperty({ description: 'hex' })
  sha256: string;
}

export function mapAttachment(attachment: Attachment): AttachmentResponse {
  return {
    id: attachment.id,
    status: attachment.status,
    content_type: attachment.contentType,
    filename: attachment.filename,
    size: attachment.size,
    sha256: attachment.sha256,
    error: attachment.error,
  };
}

export function mapUploadedAttachment(attachment: Attachment): UploadedAttachmentResponse {
  return {
    id: attachment.id,
    content_type: attachment.contentType,
    filename: attachment.filename,
    size: attachment.size!,
    sha256: attachment.sha256!,
  };
}
