import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { Page, PageOf } from '../../platform/http/pagination';
import { IdParam } from '../../platform/http/id-param';
import { CustomerService } from './customer.service';
import {
  CreateCustomerDto,
  CustomerResponse,
  ListCustomersQuery,
  mapCustomer,
  UpdateCustomerDto,
} from './dto/customer.dto';

@Controller('api/customers')
export class CustomerController {
  constructor(private readonly customers: CustomerService) {}

  @Post()
  @ApiCreatedResponse({ type: CustomerResponse })
  @ApiErrorResponse('conflict', 'the phone, email or external_id belongs to another customer')
  async create(@Body() body: CreateCustomerDto): Promise<CustomerResponse> {
    return mapCustomer(await this.customers.createCustomer(body));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(CustomerResponse) })
  list(@Query() query: ListCustomersQuery): Promise<Page<CustomerResponse>> {
    return this.customers.listCustomers(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: CustomerResponse })
  async get(@IdParam() id: string): Promise<CustomerResponse> {
    return mapCustomer(await this.customers.getCustomer(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: CustomerResponse })
  @ApiErrorResponse('conflict', 'the phone, email or external_id belongs to another customer')
  async update(@IdParam() id: string, @Body() body: UpdateCustomerDto): Promise<CustomerResponse> {
    return mapCustomer(await this.customers.updateCustomer(id, body));
  }
}
