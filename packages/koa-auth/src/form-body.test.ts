import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FormBodyProblem, type FormBodyState, formBody } from './form-body.js';

// A tiny app that answers the parsed form, or the refusal as `{ problem, name, status }`.
class Refused extends Error {
  constructor(
    readonly problem: FormBodyProblem | 'too-large',
    readonly parameter?: string,
  ) {
    super(problem);
  }
}

let served: Served;
beforeAll(async () => {
  const app = new Koa<FormBodyState>();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      ctx.status = err.problem === 'too-large' ? 413 : 400;
      ctx.body = { problem: err.problem, name: err.parameter ?? null };
    }
  });
  app.use(
    formBody({
      limitBytes: 256,
      maxParameters: 4,
      tooLarge: () => new Refused('too-large'),
      invalid: (problem, name) => new Refused(problem, name),
    }),
  );
  app.use((ctx) => {
    ctx.body = { body: ctx.state.body ?? null };
  });
  served = await listen(app.callback());
});
afterAll(() => served.close());

const post = (body: string, type = 'application/x-www-form-urlencoded') =>
  fetch(served.url, { method: 'POST', headers: { 'content-type': type }, body });

describe('formBody', () => {
  it('reads each parameter as one decoded string, + as a space', async () => {
    const res = await post('grant_type=urn%3Aietf%3Aparams&code=a+b%2Bc&empty=');
    expect(await res.json()).toEqual({ body: { grant_type: 'urn:ietf:params', code: 'a b+c', empty: '' } });
  });

  it('leaves the body undefined when there is none', async () => {
    const res = await fetch(served.url, { method: 'POST' });
    expect(await res.json()).toEqual({ body: null });
  });

  it('refuses a parameter sent twice, naming it (RFC 6749 §3.2)', async () => {
    const res = await post('code=a&code=b');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ problem: 'repeated', name: 'code' });
  });

  it('refuses another media type, bad percent-encodings, lone surrogates and too many parameters', async () => {
    expect(await (await post('{"a":1}', 'application/json')).json()).toMatchObject({
      problem: 'content-type',
    });
    expect(await (await post('a=%E0%A4%A')).json()).toMatchObject({ problem: 'encoding' });
    expect(await (await post('a=%ED%A0%80')).json()).toMatchObject({ problem: 'encoding' });
    expect(await (await post('a=1&b=2&c=3&d=4&e=5')).json()).toMatchObject({ problem: 'too-many' });
  });

  it('answers 413 past the byte limit', async () => {
    const res = await post(`a=${'x'.repeat(300)}`);
    expect(res.status).toBe(413);
  });

  it('gives a parameter named __proto__ as an ordinary member, never a prototype', async () => {
    const res = await post('__proto__=x&a=1');
    expect(await res.json()).toEqual({ body: { ['__proto__']: 'x', a: '1' } });
  });
});
