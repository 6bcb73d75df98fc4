import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SenderController } from './sender.controller';
import { SenderDirectory } from './sender-directory';
import { SenderHealth } from './sender-health';
import { senderSecretBoxProvider } from './sender-secret-box';
import { Sender } from './sender.entity';
import { SenderService } from './sender.service';

/** Senders as a resource (API) and as every process resolves them (the directory). */
@Module({
  imports: [TypeOrmModule.forFeature([Sender])],
  providers: [senderSecretBoxProvider, SenderDirectory, SenderHealth, SenderService],
  controllers: [SenderController],
  exports: [SenderDirectory, SenderHealth, SenderService],
})
export class SendersModule {}
