import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { PageQuery } from '../../../platform/http/pagination';
import { CHANNELS } from '../../../shared/channel';
import type { Channel } from '../../../shared/channel';
import { SENDER_STATUSES } from '../sender.entity';
import type { SenderSource, SenderStatus } from '../sender.entity';

const CONFIG_DESCRIPTION =
  'by channel — whatsapp: {phone_number_id, access_token, app_secret, verify_token?, graph_api_url?}; ' +
  'sms: {account_sid, auth_token, from | messaging_service_sid, api_url?}; ' +
  'email: {from_address, from_name?, inbound_addresses?, host, port, username?, password?, encryption?}; ' +
  'web: {url, secret}. Secrets are write-only.';

export class CreateSenderDto {
  @ApiProperty({ enum: [...CHANNELS], example: 'whatsapp' })
  @IsIn(CHANNELS)
  channel: Channel;

  @ApiProperty({ example: 'WhatsApp Brazil', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: CONFIG_DESCRIPTION })
  @IsObject()
  config: Record<string, unknown>;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100000,
    description: "default: the channel's variable",
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rate_limit_per_second?: number;

  @ApiPropertyOptional({ default: false, description: 'new conversations of the channel take it' })
  @Optional()
  @IsBoolean()
  default?: boolean;
}

export class UpdateSenderDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'fields to change; a secret left out stays as it is',
  })
  @Optional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rate_limit_per_second?: number;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  default?: boolean;

  @ApiPropertyOptional({ enum: [...SENDER_STATUSES] })
  @Optional()
  @IsIn(SENDER_STATUSES)
  status?: SenderStatus;
}

export class ListSendersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: [...CHANNELS] })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;
}

export class SenderResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: [...CHANNELS] })
  channel: Channel;
  @ApiProperty()
  name: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'secrets masked as "••••" and their last 4 characters',
    example: { phone_number_id: '106540352242922', access_token: '••••9f2c' },
  })
  config: Record<string, unknown>;
  @ApiProperty({ enum: [...SENDER_STATUSES] })
  status: SenderStatus;
  @ApiProperty()
  default: boolean;
  @ApiProperty({ example: 80 })
  rate_limit_per_second: number;
  @ApiProperty({ enum: ['api', 'environment'] })
  source: SenderSource;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_success_at: string | null;
  @ApiProperty({ type: String, nullable: true })
  last_error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_error_at: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
}
