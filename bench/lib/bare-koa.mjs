// The bare Koa apps the instance API's whole-app figures are compared with, all answering `body`
// as a JSON string: `bare`, the barest Koa app; `bareTurn`, the same sending its responses at the
// end of each event-loop turn as the app's pipeline does (createTurnBarrier); `bareTurnHeaders`,
// that also writing the five headers the app's answer carries and bare Koa's does not (request
// id, cache policy, the three rate-limit headers), with values of the same sizes.
import { randomUUID } from 'node:crypto';
import { createTurnBarrier } from '@portcullis/app-kit';
import Koa from 'koa';

/** The three bare apps for `body`, each with a barrier of its own. */
export function bareKoaApps(body) {
  const bare = new Koa();
  bare.use((ctx) => {
    ctx.type = 'application/json';
    ctx.body = body;
  });
  const turnOf = () => {
    const endOfTurn = createTurnBarrier();
    const app = new Koa();
    return { app, endOfTurn };
  };
  const turn = turnOf();
  turn.app.use(async (ctx) => {
    ctx.type = 'application/json';
    ctx.body = body;
    await turn.endOfTurn();
  });
  const headers = turnOf();
  headers.app.use(async (ctx) => {
    ctx.set('X-Request-Id', randomUUID());
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-RateLimit-Limit', '200');
    ctx.set('X-RateLimit-Remaining', '199');
    ctx.set('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + 60));
    ctx.type = 'application/json';
    ctx.body = body;
    await headers.endOfTurn();
  });
  return { bare, bareTurn: turn.app, bareTurnHeaders: headers.app };
}
