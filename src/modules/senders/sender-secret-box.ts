import type { FactoryProvider } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { SecretBox } from '../../platform/crypto/secret-box';

export const SENDER_SECRET_BOX = Symbol('SENDER_SECRET_BOX');

/** The box senders' secrets are sealed in; null without SENDER_SECRETS_KEY (no API senders then). */
export const senderSecretBoxProvider: FactoryProvider<SecretBox | null> = {
  provide: SENDER_SECRET_BOX,
  inject: [APP_CONFIG],
  useFactory: ({ senders }: AppConfig) =>
    senders.secretsKey ? new SecretBox(senders.secretsKey, senders.secretsKeyPrevious) : null,
};
