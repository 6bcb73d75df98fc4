import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
} from '@nestjs/swagger';
import { IdParam } from '../../platform/http/id-param';
import { ListOf, Page, PageOf, PageQuery } from '../../platform/http/pagination';
import {
  ListWebhookDeliveriesQuery,
  RecoverWebhookDeliveriesDto,
  ReplayWebhookEventsDto,
  WebhookAttemptResponse,
  WebhookBatchResponse,
  WebhookDeliveryResponse,
  WebhookTestResponse,
} from './dto/webhook-delivery.dto';
import {
  CreateWebhookEndpointDto,
  mapWebhookEndpoint,
  UpdateWebhookEndpointDto,
  WebhookEndpointResponse,
  WebhookEndpointWithSecretResponse,
  WebhookSecretResponse,
} from './dto/webhook-endpoint.dto';
import { WebhookEndpointService } from './webhook-endpoint.service';

@Controller('api')
export class WebhookEndpointController {
  constructor(private readonly webhooks: WebhookEndpointService) {}

  @Post('webhook-endpoints')
  @ApiCreatedResponse({
    type: WebhookEndpointWithSecretResponse,
    description: 'the secret is shown only here and on rotation',
  })
  create(@Body() body: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretResponse> {
    return this.webhooks.createEndpoint(body);
  }

  @Get('webhook-endpoints')
  @ApiOkResponse({ type: PageOf(WebhookEndpointResponse) })
  list(@Query() query: PageQuery): Promise<Page<WebhookEndpointResponse>> {
    return this.webhooks.listEndpoints(query);
  }

  @Get('webhook-endpoints/:id')
  @ApiOkResponse({ type: WebhookEndpointResponse })
  async get(@IdParam() id: string): Promise<WebhookEndpointResponse> {
    return mapWebhookEndpoint(await this.webhooks.getEndpoint(id));
  }

  @Patch('webhook-endpoints/:id')
  @ApiOkResponse({ type: WebhookEndpointResponse })
  async update(
    @IdParam() id: string,
    @Body() body: UpdateWebhookEndpointDto,
  ): Promise<WebhookEndpointResponse> {
    return mapWebhookEndpoint(await this.webhooks.updateEndpoint(id, body));
  }

  @Delete('webhook-endpoints/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted; nothing more is sent to it' })
  async remove(@IdParam() id: string): Promise<void> {
    await this.webhooks.deleteEndpoint(id);
  }

  @Get('webhook-endpoints/:id/deliveries')
  @ApiOkResponse({ type: PageOf(WebhookDeliveryResponse), description: 'newest first' })
  deliveries(
    @IdParam() id: string,
    @Query() query: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryResponse>> {
    return this.webhooks.listDeliveries(id, query);
  }

  @Post('webhook-endpoints/:id/recover')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookBatchResponse })
  async recover(
    @IdParam() id: string,
    @Body() body: RecoverWebhookDeliveriesDto,
  ): Promise<WebhookBatchResponse> {
    return { scheduled: await this.webhooks.recoverFailed(id, body.since) };
  }

  @Post('webhook-endpoints/:id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookBatchResponse })
  async replay(
    @IdParam() id: string,
    @Body() body: ReplayWebhookEventsDto,
  ): Promise<WebhookBatchResponse> {
    return { scheduled: await this.webhooks.replayEvents(id, body.after_seq) };
  }

  @Post('webhook-endpoints/:id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookSecretResponse, description: 'the old secret signs for 24 h more' })
  async rotate(@IdParam() id: string): Promise<WebhookSecretResponse> {
    return { secret: await this.webhooks.rotateSecret(id) };
  }

  @Post('webhook-endpoints/:id/test')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookTestResponse, description: 'the outcome of the one attempt' })
  test(@IdParam() id: string): Promise<WebhookTestResponse> {
    return this.webhooks.sendTest(id);
  }

  @Get('webhook-deliveries/:id/attempts')
  @ApiOkResponse({ type: ListOf(WebhookAttemptResponse), description: 'oldest first' })
  async attempts(@IdParam() id: string): Promise<{ data: WebhookAttemptResponse[] }> {
    return { data: await this.webhooks.listAttempts(id) };
  }

  @Post('webhook-deliveries/:id/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookDeliveryResponse })
  resend(@IdParam() id: string): Promise<WebhookDeliveryResponse> {
    return this.webhooks.resendDelivery(id);
  }
}
