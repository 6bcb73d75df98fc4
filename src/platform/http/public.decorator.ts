import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Skips the API key: provider webhooks authenticate with their own signatures instead. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
