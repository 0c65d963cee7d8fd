import { KraulError } from '@kraul/protocol';

/** A test site asked for something it cannot be (bad option, unknown host index). */
export class TestSiteError extends KraulError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('testkit.site_invalid', message, context);
  }
}
