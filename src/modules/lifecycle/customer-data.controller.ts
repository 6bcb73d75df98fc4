import { Controller, Delete, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { IdParam } from '../../platform/http/id-param';
import { CustomerErasureService } from './customer-erasure.service';
import { CustomerExportService } from './customer-export.service';
import { CustomerExport, ErasureResponse } from './dto/customer-data.dto';

/** A customer's data rights: access (export) and erasure. */
@ApiTags('customers')
@Controller('api/customers')
export class CustomerDataController {
  constructor(
    private readonly erasure: CustomerErasureService,
    private readonly exporter: CustomerExportService,
  ) {}

  @Delete(':id')
  @ApiOkResponse({
    type: ErasureResponse,
    description: 'the customer and everything stored about them are gone',
  })
  async erase(@IdParam() id: string): Promise<ErasureResponse> {
    return { erased: await this.erasure.eraseCustomer(id) };
  }

  @Get(':id/export')
  @ApiOkResponse({ type: CustomerExport })
  export(@IdParam() id: string): Promise<CustomerExport> {
    return this.exporter.exportCustomer(id);
  }
}
