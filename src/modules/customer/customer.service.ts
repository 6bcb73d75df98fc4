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
import { normalizePhone } from './phone-number';

/** Who sent an inbound message: one identity (E.164 phone, lower-case email or external id). */
export interface InboundSender {
  key: 'phone' | 'email' | 'externalId';
  value: string;
  name?: string;
  /** A second address worth keeping on a new customer (the web channel's optional email). */
  email?: string;
}

export function inboundSenderKey(sender: Pick<InboundSender, 'key' | 'value'>): string {
  return `${sender.key}:${sender.value}`;
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

  async updateCustomer(id: string, input: UpdateCustomerDto): Promise<Customer> {
    const customer = await this.getCustomer(id);
    if (input.name !== undefined) customer.name = input.name;
    if (input.phone !== undefined) customer.phone = input.phone ? this.toE164(input.phone) : null;
    if (input.email !== undefined)
      customer.email = input.email ? normalizeEmail(input.email) : null;
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

  /**
   * The customers behind a batch of inbound messages, found by each sender's identity or
   * created, inside the caller's transaction, in one lookup and one insert per kind of identity.
   * Two first messages from one new sender may arrive at the same instant: INSERT ... ON CONFLICT
   * DO NOTHING waits for the other transaction's row and the re-select then finds it, so both
   * end with the same customer. A sender's profile name fills an empty name. Keyed by
   * inboundSenderKey().
   */
  async resolveInboundSenders(
    senders: InboundSender[],
    manager: EntityManager,
  ): Promise<Map<string, Customer>> {
    const resolved = new Map<string, Customer>();
    const unique = new Map(senders.map((sender) => [inboundSenderKey(sender), sender]));
    for (const key of ['phone', 'email', 'externalId'] as const) {
      const group = [...unique.values()].filter((sender) => sender.key === key);
      if (group.length > 0) await this.resolveByIdentity(key, group, manager, resolved);
    }
    return resolved;
  }

  private async resolveByIdentity(
    key: InboundSender['key'],
    senders: InboundSender[],
    manager: EntityManager,
    resolved: Map<string, Customer>,
  ): Promise<void> {
    const repository = manager.getRepository(Customer);
    const found = async (wanted: InboundSender[]) => {
      const values = wanted.map((sender) => sender.value);
      for (const customer of await repository.findBy({ [key]: In(values) })) {
        resolved.set(`${key}:${customer[key]}`, customer);
      }
      return wanted.filter((sender) => !resolved.has(inboundSenderKey(sender)));
    };

    const named = senders.filter((sender) => sender.name);
    let missing = await found(senders);
    for (const sender of named) {
      const customer = resolved.get(inboundSenderKey(sender));
      if (customer && !customer.name) {
        await repository.update({ id: customer.id }, { name: sender.name! });
        customer.name = sender.name!;
      }
    }
    // An extra email that already belongs to someone else must not stop the customer existing,
    // so a second round inserts without it.
    for (const withEmail of [true, false]) {
      if (missing.length === 0) return;
      const now = new Date();
      // Sorted, so that concurrent batches wait on each other's rows in one order, not deadlock.
      const rows = [...missing]
        .sort((a, b) => (a.value < b.value ? -1 : 1))
        .map((sender) => ({
          id: newId(),
          name: sender.name ?? null,
          phone: key === 'phone' ? sender.value : null,
          email: key === 'email' ? sender.value : withEmail ? (sender.email ?? null) : null,
          externalId: key === 'externalId' ? sender.value : null,
          createdAt: now,
          updatedAt: now,
        }));
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(Customer)
        .values(rows)
        .orIgnore()
        .returning(['id'])
        .execute();
      missing = await found(missing);
      const createdIds = new Set((inserted.raw as { id: string }[]).map((row) => row.id));
      const created = new Map(
        [...resolved.values()].filter((c) => createdIds.has(c.id)).map((c) => [c.id, c]),
      );
      await this.eventLog.append(
        manager,
        [...created.values()].map((customer) => ({
          type: 'customer.created' as const,
          conversationId: null,
          data: mapCustomer(customer),
        })),
      );
    }
    if (missing.length > 0) {
      throw new Error(
        `${missing.length} inbound ${key} customers could neither be created nor found`,
      );
    }
  }

  toE164(phone: string): string {
    const e164 = normalizePhone(phone, this.config.defaultCountry);
    if (!e164) throw new DomainError('invalid_input', 'phone must be a valid phone number');
    return e164;
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
