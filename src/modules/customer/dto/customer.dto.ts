import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import type { Customer } from '../customer.entity';

export class CreateCustomerDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    example: '+14155550100',
    description: 'stored as E.164; national numbers use DEFAULT_COUNTRY',
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ example: 'ada@example.com', description: 'stored lower-cased' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    example: 'crm-4711',
    description: 'your id for the customer; the web channel addresses it',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  external_id?: string;

  @ApiPropertyOptional({ example: { plan: 'pro' }, type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

/** PATCH takes the same fields; null clears one (IsOptional lets null through). */
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

export interface CustomerResponse {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  external_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
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
