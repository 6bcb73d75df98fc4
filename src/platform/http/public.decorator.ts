import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Skips authentication: provider webhooks check their own signatures; sign-in has none yet. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
