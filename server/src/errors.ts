// One error type for everything a client can be told: a stable id, a message and an HTTP status.
// HTTP handlers turn it into a JSON body, websocket handlers into an `error` event; never a stack trace.

export class AppError extends Error {
  readonly id: string;
  readonly status: number;
  /** Extra context for logs only; never sent to clients. */
  readonly details?: Record<string, unknown>;

  constructor(id: string, message: string, status = 500, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.id = id;
    this.status = status;
    this.details = details;
  }

  toJSON(): {id: string; message: string; status_code: number} {
    return {id: this.id, message: this.message, status_code: this.status};
  }
}

export const badRequest = (id: string, message: string, details?: Record<string, unknown>) =>
  new AppError(id, message, 400, details);
export const unauthorized = (message = 'Unauthorized') =>
  new AppError('api.context.session_expired.app_error', message, 401);
export const forbidden = (id: string, message = 'Forbidden', details?: Record<string, unknown>) =>
  new AppError(id, message, 403, details);
export const notFound = (id: string, message = 'Not found', details?: Record<string, unknown>) =>
  new AppError(id, message, 404, details);

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Wraps anything thrown into an AppError; unknown errors become a generic 500 so internals never leak. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const cause = err instanceof Error ? err.message : String(err);
  return new AppError('app.internal_error', 'An internal error has occurred. Check app server logs for details.', 500, {
    cause,
  });
}
