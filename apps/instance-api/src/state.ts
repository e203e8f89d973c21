import type { InstancePrincipal } from '@portcullis/koa-auth';
import type { ParameterizedContext } from 'koa';

/** Everything middleware puts on `ctx.state` in this app. */
export interface AppState {
  requestId: string;
  /** Set once an instance key authenticated. */
  auth?: InstancePrincipal;
  /** Set once the operator token was accepted. */
  admin?: boolean;
  /** Parsed JSON body (see `jsonBody()`). */
  body?: unknown;
}

export type AppContext = ParameterizedContext<AppState>;
