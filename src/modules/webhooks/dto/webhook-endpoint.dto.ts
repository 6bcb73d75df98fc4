import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsNotEmpty,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { JsonObject } from '../../../platform/database/json';
import { Optional } from '../../../platform/http/optional';
import { EVENT_TYPES } from '../../events/event-type';
import type { WebhookEndpoint } from '../webhook-endpoint.entity';
import { WEBHOOK_ENDPOINT_STATUSES } from '../webhook-endpoint.entity';
import type { WebhookEndpointStatus } from '../webhook-endpoint.entity';

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://crm.example.com/hooks/omnichannel', maxLength: 2000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  url: string;

  @ApiPropertyOptional({
    enum: [...EVENT_TYPES],
    isArray: true,
    description: 'the event types to receive; absent = all',
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn([...EVENT_TYPES], { each: true, message: `event_types must be among ${EVENT_TYPES}` })
  event_types?: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ default: false, description: 'strictly in seq order, one at a time' })
  @Optional()
  @IsBoolean()
  ordered?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, description: 'absent = no limit' })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(10000)
  rate_limit_per_second?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: {} })
  @Optional()
  @IsObject()
  metadata?: JsonObject;
}

/** `ordered` and `metadata` are chosen at creation; everything else may change. */
export class UpdateWebhookEndpointDto extends PartialType(
  OmitType(CreateWebhookEndpointDto, ['ordered', 'metadata'] as const),
  // Left out means unchanged; null is validated (and refused) like any wrong type.
  { skipNullProperties: false },
) {
  @ApiPropertyOptional({ enum: WEBHOOK_ENDPOINT_STATUSES })
  @Optional()
  @IsIn([...WEBHOOK_ENDPOINT_STATUSES])
  status?: WebhookEndpointStatus;
}

export class WebhookEndpointResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  url: string;
  @ApiProperty({ type: String, isArray: true, nullable: true, description: 'null = all types' })
  event_types: string[] | null;
  @ApiProperty({ type: String, nullable: true })
  description: string | null;
  @ApiProperty()
  ordered: boolean;
  @ApiProperty({ type: Number, nullable: true })
  rate_limit_per_second: number | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata: JsonObject;
  @ApiProperty({ enum: WEBHOOK_ENDPOINT_STATUSES })
  status: WebhookEndpointStatus;
  @ApiProperty({ type: String, nullable: true, example: 'endpoint answered HTTP 410 (gone)' })
  disabled_reason: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

/** The answer to a creation or a rotation: the only times the secret is shown. */
export class WebhookEndpointWithSecretResponse extends WebhookEndpointResponse {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookSecretResponse {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export function mapWebhookEndpoint(endpoint: WebhookEndpoint): WebhookEndpointResponse {
  return {
    id: endpoint.id,
    url: endpoint.url,
    event_types: endpoint.eventTypes,
    description: endpoint.description,
    ordered: endpoint.ordered,
    rate_limit_per_second: endpoint.rateLimitPerSecond,
    metadata: endpoint.metadata,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}
