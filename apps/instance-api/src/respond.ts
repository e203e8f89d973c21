import { renderTrussetSuccess } from '@portcullis/errors';
import type { AppContext } from './state.js';

/** Sends `data` in the SPEC §4.1 success envelope, with the request id and, once known, the instance. */
export function send(ctx: AppContext, now: () => number, data: unknown, status = 200, total?: number): void {
  ctx.status = status;
  ctx.body = renderTrussetSuccess(data, {
    requestId: ctx.state.requestId,
    timestamp: new Date(now()).toISOString(),
    ...(ctx.state.auth ? { instanceId: ctx.state.auth.instanceId } : {}),
    ...(total === undefined ? {} : { total }),
  });
}
