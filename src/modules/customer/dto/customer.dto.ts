import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { PageQuery } from '../../../platform/http/pagination';
import type { Customer } from '../customer.entity';

export class CreateCustomerDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 200 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    example: '+14155550100',
    description: 'stored as E.164; national numbers use DEFAULT_COUNTRY',
  })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ example: 'ada@example.com', description: 'stored lower-cased' })
  @Optional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    example: 'crm-4711',
    description: 'your id for the customer; the web channel addresses it',
  })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  external_id?: string;

  @ApiPropertyOptional({ example: { plan: 'pro' }, type: 'object', additionalProperties: true })
  @Optional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

/**
 * PATCH takes the same fields, each replacing the stored value when given. null is refused like
 * in every other create or update (the contract's rule: an optional field is left out or valid).
 */
export class UpdateCustomerDto extends CreateCustomerDto {}

export class ListCustomersQuery extends PageQuery {
  @ApiPropertyOptional({ example: '+14155550100' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: 'crm-4711' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  external_id?: string;
}

export class CustomerResponse {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  id: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ann Lee' })
  name: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+14155550100', description: 'E.164' })
  phone: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'ann@example.com' })
  email: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'crm-4711' })
  external_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export function mapCustomer(customer: Customer): CustomerResponse {
  return {
    id: customer.id,
    name: customer.name,
    phone: customer.phone,
    email: customer.email,
    external_id: customer.externalId,
    metadata: customer.metadata,
    created_at: customer.createdAt.toISOString(),
    updated_at: customer.updatedAt.toISOString(),
  };
}
