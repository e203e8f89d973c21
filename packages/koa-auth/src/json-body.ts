import type { Middleware, ParameterizedContext } from 'koa';

/** State set by {@link jsonBody}: the parsed body, or `undefined` when the request had none. */
export interface JsonBodyState {
  body?: unknown;
}

export type JsonBodyProblem = 'content-type' | 'encoding' | 'syntax' | 'depth';

export interface JsonBodyOptions {
  /** Largest accepted body, in bytes. Default 1 048 576 (SPEC §8: 1 MB, else 413). */
  limitBytes?: number;
  /** Deepest accepted nesting of arrays and objects. Default 32. */
  maxDepth?: number;
  /** The app's error for a body over `limitBytes` (its 413). Required: each app speaks its own format. */
  tooLarge: () => unknown;
  /** The app's error for a body that is not acceptable JSON (its 400; see {@link jsonBodyProblemMessage}). */
  invalid: (problem: JsonBodyProblem) => unknown;
}

const PROBLEM_MESSAGES: Record<JsonBodyProblem, string> = {
  'content-type': 'Content-Type must be application/json',
  encoding: 'Request body is not valid UTF-8',
  syntax: 'Request body is not valid JSON',
  depth: 'Request body is nested too deeply',
};

/** Human-readable text of a body problem, for `details`. */
export function jsonBodyProblemMessage(problem: JsonBodyProblem): string {
  return PROBLEM_MESSAGES[problem];
}

/**
 * Reads a JSON request body into `ctx.state.body`, hardened for hostile input (SPEC §8): bounded
 * size (413 before reading when `Content-Length` already says so), strict UTF-8, bounded depth,
 * and only `application/json` (or `+json`) bodies. An empty body leaves `ctx.state.body`
 * `undefined`. Never throws anything but the configured coded errors.
 *
 * @example
 * const body = jsonBody({
 *   tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
 *   invalid: (problem) => instanceApiErrors.error('VALIDATION_ERROR', { details: [{ field: 'body', message: jsonBodyProblemMessage(problem) }] }),
 * });
 * router.post('/api-keys', body, async (ctx) => { const input = validateCreateKey(ctx.state.body); … });
 */
export function jsonBody(options: JsonBodyOptions): Middleware<JsonBodyState> {
  const limitBytes = options.limitBytes ?? 1_048_576;
  const maxDepth = options.maxDepth ?? 32;
  const { tooLarge, invalid } = options;

  return async function jsonBody(ctx, next) {
    ctx.state.body = undefined;
    const bytes = await readBounded(ctx, limitBytes, tooLarge);
    const size = bytes.length;
    if (size === 0) return next();

    if (!isJsonContentType(ctx.get('content-type'))) throw invalid('content-type');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw invalid('encoding');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid('syntax');
    }
    if (depthExceeds(value, maxDepth)) throw invalid('depth');
    ctx.state.body = value;
    await next();
  };
}

/**
 * Reads the whole request body, refusing one over `limitBytes` (before reading when
 * `Content-Length` already says so, else as soon as the count passes it).
 */
export async function readBounded(
  ctx: ParameterizedContext,
  limitBytes: number,
  tooLarge: () => unknown,
): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function isJsonContentType(header: string): boolean {
  const type = header.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

// Iterative, so a hostile document cannot exhaust the stack of the check itself.
function depthExceeds(root: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
