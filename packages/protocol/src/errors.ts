/**
 * The root of kraul's typed errors. `code` is stable and machine-readable; `context`
 * carries whatever locates the failure (url, topic, partition, offset, field...), so a
 * log line or a dead-letter record says where things went wrong without a stack trace.
 */
export class KraulError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.context };
  }
}
