import { ApiProperty } from '@nestjs/swagger';
import { ConversationResponse } from '../../conversation/dto/conversation.dto';
import { CustomerResponse } from '../../customer/dto/customer.dto';
import { AttemptResponse, MessageResponse } from '../../messaging/dto/message.dto';
import { ReceiptResponse } from '../../messaging/dto/receipt.dto';

/** What one erasure removed, per kind of record. */
export class ErasedCounts {
  @ApiProperty({ example: 2 })
  conversations: number;
  @ApiProperty({ example: 14 })
  messages: number;
  @ApiProperty({ example: 1 })
  attachments: number;
  @ApiProperty({ example: 9 })
  receipts: number;
  @ApiProperty({ example: 11, description: 'raw webhooks that carried their data' })
  inbound_events: number;
  @ApiProperty({ example: 40 })
  events: number;
  @ApiProperty({ example: 0, description: 'outgoing webhook deliveries of those events' })
  webhook_deliveries: number;
}

export class ErasureResponse {
  @ApiProperty({ type: ErasedCounts })
  erased: ErasedCounts;
}

export class ExportedMessage extends MessageResponse {
  @ApiProperty({ type: [AttemptResponse] })
  attempts: AttemptResponse[];
  @ApiProperty({ type: [ReceiptResponse] })
  receipts: ReceiptResponse[];
}

/** Everything stored about one customer, as the API shows each resource; oldest first. */
export class CustomerExport {
  @ApiProperty({ type: CustomerResponse })
  customer: CustomerResponse;
  @ApiProperty({ type: [ConversationResponse] })
  conversations: ConversationResponse[];
  @ApiProperty({ type: [ExportedMessage] })
  messages: ExportedMessage[];
}
