// The consoles' one way to call their app's API: same origin, JSON, no credentials stored
// anywhere but in the caller's memory (headers are passed per call), errors as code + message.

/** An API error as the console shows it: the app's error code and message, and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Options of {@link apiRequest}. */
export interface ApiRequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A JSON body. */
  json?: unknown;
  /** Credentials and other headers, for this call only. */
  headers?: Record<string, string>;
  /**
   * Sees every answer's status and headers, success or error, before its body is read: how a
   * console reads its rate-limit headroom (`X-RateLimit-Remaining`). Same origin, so every header
   * is readable.
   */
  onResponse?: (response: { status: number; headers: Headers }) => void;
}

interface ErrorShape {
  error?: { code?: unknown; message?: unknown } | string;
  error_description?: unknown;
  message?: unknown;
}

/**
 * Calls the app's API on the page's own origin and returns the parsed JSON body; a non-2xx answer
 * throws an {@link ApiError} with the code and message of the app's error body (the Trusset
 * envelope `{ error: { code, message } }`, or OAuth's `{ error, error_description }`). A network
 * failure is `NETWORK_ERROR`. `credentials: 'omit'`: the consoles never use cookies.
 *
 * @example
 * const keys = await apiRequest<KeyListing>('/api/mica/developer/keys', { headers: { authorization: `Bearer ${token}` } });
 */
export async function apiRequest<T>(path: string, options: ApiRequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The server could not be reached.');
  }
  options.onResponse?.({ status: res.status, headers: res.headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const shape = (body ?? {}) as ErrorShape;
  if (typeof shape.error === 'object' && shape.error !== null) {
    throw new ApiError(res.status, String(shape.error.code ?? 'ERROR'), String(shape.error.message ?? ''));
  }
  if (typeof shape.error === 'string') {
    throw new ApiError(res.status, shape.error, String(shape.error_description ?? ''));
  }
  throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText || 'Request failed');
}
