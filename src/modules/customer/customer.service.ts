import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DomainError } from '../../platform/errors/domain-error';
import { newId } from '../../platform/database/new-id';
import { fetchPage, Page } from '../../platform/http/pagination';
import { EventLog } from '../events/event-log';
import { Customer } from './customer.entity';
import {
  CreateCustomerDto,
  CustomerResponse,
  ListCustomersQuery,
  mapCustomer,
  UpdateCustomerDto,
} from './dto/customer.dto';
import { normalizeEmail } from '../../shared/email-address';
import { normalizePhone } from '../../shared/phone-number';

/** A customer as lists of other resources name it. */
export interface CustomerSummary {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  external_id: string | null;
}

@Injectable()
export class CustomerService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly eventLog: EventLog,
  ) {}

  async createCustomer(input: CreateCustomerDto): Promise<Customer> {
    const customer = this.customers.create({
      id: newId(),
      name: input.name ?? null,
      phone: input.phone ? this.toE164(input.phone) : null,
      email: input.email ? normalizeEmail(input.email) : null,
      externalId: input.external_id ?? null,
      metadata: input.metadata ?? {},
    });
    return this.customers.manager.transaction(async (manager) => {
      const saved = await manager.save(customer);
      await this.eventLog.append(manager, {
        type: 'customer.created',
        conversationId: null,
        data: mapCustomer(saved),
      });
      return saved;
    });
  }

  async getCustomer(id: string, manager?: EntityManager): Promise<Customer> {
    const repository = manager ? manager.getRepository(Customer) : this.customers;
    const customer = await repository.findOneBy({ id });
    if (!customer) throw DomainError.notFound('customer', id);
    return customer;
  }

  /** The identity fields of these customers, by id, in one query (a list page's names). */
  async summaries(ids: string[]): Promise<Map<string, CustomerSummary>> {
    const rows = ids.length === 0 ? [] : await this.customers.findBy({ id: In([...new Set(ids)]) });
    return new Map(
      rows.map((customer) => [
        customer.id,
        {
          id: customer.id,
          name: customer.name,
          phone: customer.phone,
          email: customer.email,
          external_id: customer.externalId,
        },
      ]),
    );
  }

  async updateCustomer(id: string, input: UpdateCustomerDto): Promise<Customer> {
    const customer = await this.getCustomer(id);
    if (input.name !== undefined) customer.name = input.name;
    if (input.phone !== undefined) customer.phone = this.toE164(input.phone);
    if (input.email !== undefined) customer.email = normalizeEmail(input.email);
    if (input.external_id !== undefined) customer.externalId = input.external_id;
    if (input.metadata !== undefined) customer.metadata = input.metadata;
    return this.customers.save(customer);
  }

  async listCustomers(query: ListCustomersQuery): Promise<Page<CustomerResponse>> {
    const builder = this.customers.createQueryBuilder('customer');
    if (query.phone)
      builder.andWhere('customer.phone = :phone', { phone: this.toE164(query.phone) });
    if (query.email)
      builder.andWhere('customer.email = :email', { email: normalizeEmail(query.email) });
    if (query.external_id) {
      builder.andWhere('customer.external_id = :externalId', { externalId: query.external_id });
    }
    return fetchPage(builder, query, mapCustomer);
  }

  /** E.164 for a phone number in the field named `field`, or a 400 naming that field. */
  toE164(phone: string, field = 'phone'): string {
    const e164 = normalizePhone(phone, this.config.defaultCountry);
    if (!e164) {
      throw DomainError.invalidField(
        field,
        `${field} must be a phone number, such as +14155550100 (national numbers use DEFAULT_COUNTRY ${this.config.defaultCountry})`,
      );
    }
    return e164;
  }
}
