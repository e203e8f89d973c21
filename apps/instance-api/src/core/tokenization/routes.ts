import { catalogErrors, instanceApiErrors } from '@portcullis/errors';
import { defineRoute } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../../app.js';
import { type AppKit, documented, envelope, errors, ok } from '../../http.js';
import {
  addressSchema,
  BAD_REQUEST,
  instanceOf,
  listRoute,
  readRoute,
  SERVICE_ROUTE,
  serviceDeclaration,
  serviceRouter,
  tokenNotFound,
} from '../common.js';
import { DEFAULT_TOKEN_FACTORY_ADDRESS, encodeDeployToken, tokenAddressFor } from './deploy.js';
import {
  balanceSchema,
  deploymentSchema,
  deployTokenBody,
  holderSchema,
  issueBody,
  listQuery,
  redeemBody,
  supplyChangeSchema,
  tokenSchema,
} from './schemas.js';
import { createToken, findBalance, findToken, issue, listHolders, listTokens, redeem } from './store.js';

/** SPEC §4.5 (published path). */
export const TOKENIZATION_PREFIX = '/stocks/api';

const common = serviceDeclaration('Tokenization');
const insufficient = catalogErrors(instanceApiErrors, 'INSUFFICIENT_BALANCE');
const TOKEN_EXISTS_MESSAGE = 'A token with this ISIN already exists';
const tokenExists = documented(instanceApiErrors, 'TOKEN_EXISTS', TOKEN_EXISTS_MESSAGE);

const tokenAddressParam = addressSchema.meta({
  param: {
    id: 'TokenizedTokenAddress',
    description:
      "Reference address of a token of the caller's instance (any letter case); any other value is a 404 `TOKEN_NOT_FOUND`.",
  },
});
const byToken = z.object({ tokenAddress: tokenAddressParam });

const ACCOUNT_MESSAGE = 'must be an address: 0x and 40 hexadecimal digits';

const deployRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${TOKENIZATION_PREFIX}/tokenization/deploy`,
  operationId: 'deployStockToken',
  summary: 'Register a tokenized security and get its unsigned deployment transaction',
  request: { body: deployTokenBody },
  responses: {
    201: ok(
      'The token (total supply 0) and the unsigned factory call that deploys it; nothing is submitted.',
      deploymentSchema,
      { instanceId: true },
    ),
    ...errors([...BAD_REQUEST, tokenExists, ...SERVICE_ROUTE]),
  },
});

const issueRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${TOKENIZATION_PREFIX}/tokenization/:tokenAddress/issue`,
  operationId: 'issueStockToken',
  summary: 'Issue tokens to an account (the total supply grows by the amount)',
  request: { params: byToken, body: issueBody },
  invalidParams: tokenNotFound.error,
  responses: {
    200: ok('The issue as applied, with the new balance and total supply.', supplyChangeSchema, {
      instanceId: true,
    }),
    ...errors([...BAD_REQUEST, tokenNotFound.documented, ...SERVICE_ROUTE]),
  },
});

const redeemRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${TOKENIZATION_PREFIX}/tokenization/:tokenAddress/redeem`,
  operationId: 'redeemStockToken',
  summary: "Redeem tokens from an account's holding (the total supply shrinks by the amount)",
  request: { params: byToken, body: redeemBody },
  invalidParams: tokenNotFound.error,
  responses: {
    200: ok('The redemption as applied, with the new balance and total supply.', supplyChangeSchema, {
      instanceId: true,
    }),
    ...errors([...BAD_REQUEST, ...insufficient, tokenNotFound.documented, ...SERVICE_ROUTE]),
  },
});

const listTokensRoute = listRoute({
  tag: 'Tokenization',
  path: `${TOKENIZATION_PREFIX}/fetch/tokens`,
  operationId: 'listStockTokens',
  summary: "The instance's tokens, oldest first",
  query: listQuery,
  item: tokenSchema,
  answer: 'One page of tokens.',
});

const getTokenRoute = readRoute({
  tag: 'Tokenization',
  path: `${TOKENIZATION_PREFIX}/fetch/token/:tokenAddress`,
  operationId: 'getStockToken',
  summary: 'A token by its reference address',
  params: byToken,
  notFound: tokenNotFound,
  item: tokenSchema,
  answer: 'The token.',
});

const listHoldersRoute = listRoute({
  tag: 'Tokenization',
  path: `${TOKENIZATION_PREFIX}/fetch/holders/:tokenAddress`,
  operationId: 'listStockTokenHolders',
  summary: 'The accounts holding a token, largest balance first (then by address)',
  query: listQuery,
  item: holderSchema,
  answer: 'One page of holders (balance above 0).',
  of: { params: byToken, notFound: tokenNotFound },
});

const getBalanceRoute = defineRoute({
  ...common,
  method: 'get',
  path: `${TOKENIZATION_PREFIX}/fetch/balance/:tokenAddress/:account`,
  operationId: 'getStockTokenBalance',
  summary: "An account's balance of a token (0 when it never held any)",
  request: {
    params: z.object({
      tokenAddress: tokenAddressParam,
      // Read as text here and checked by the handler: a malformed account is a 400 naming
      // `account` (any address is an account, so "not found" would be wrong), while a malformed
      // token address stays the token's 404 (`invalidParams` cannot tell the two apart).
      account: z.string().meta({
        param: {
          id: 'TokenizedAccount',
          description:
            '`0x` and 40 hexadecimal digits, any letter case; anything else is a 400 `VALIDATION_ERROR`.',
        },
      }),
    }),
  },
  invalidParams: tokenNotFound.error,
  responses: {
    200: ok("The account's balance.", balanceSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, tokenNotFound.documented, ...SERVICE_ROUTE]),
  },
});

/**
 * Tokenization (SPEC §4.5) under `/stocks/api`, behind the `tokenization` service gate. Deploy
 * payloads call the factory at `deps.tokenFactoryAddress` (default
 * {@link DEFAULT_TOKEN_FACTORY_ADDRESS}).
 *
 * @example
 * app.use(guardedRoutes(tokenizationRoutes(kit, deps), { prefixes: [TOKENIZATION_PREFIX] }));
 */
export function tokenizationRoutes(kit: AppKit, deps: AppDeps) {
  const { db, now } = deps;
  const factory = deps.tokenFactoryAddress ?? DEFAULT_TOKEN_FACTORY_ADDRESS;
  const { router, mount } = serviceRouter(kit, 'tokenization', TOKENIZATION_PREFIX);

  mount(deployRoute, async (ctx, { body }) => {
    const instanceId = instanceOf(ctx);
    const tokenAddress = tokenAddressFor(instanceId, body.isin);
    const created = await createToken(db, instanceId, { tokenAddress, ...body }, new Date(now()));
    if (!created.ok) throw instanceApiErrors.error('TOKEN_EXISTS', { message: TOKEN_EXISTS_MESSAGE });
    const transaction = { to: factory, data: encodeDeployToken(body), value: '0' as const };
    return { status: 201, body: envelope(ctx, now, { token: created.token, transaction }) };
  });

  mount(issueRoute, async (ctx, { params, body }) => {
    const at = new Date(now());
    const issued = await issue(db, instanceOf(ctx), params.tokenAddress, body.recipient, body.amount, at);
    if (!issued.ok) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, issued.change) };
  });

  mount(redeemRoute, async (ctx, { params, body }) => {
    const at = new Date(now());
    const redeemed = await redeem(db, instanceOf(ctx), params.tokenAddress, body.account, body.amount, at);
    if (!redeemed.ok) {
      throw redeemed.reason === 'insufficient'
        ? instanceApiErrors.error('INSUFFICIENT_BALANCE')
        : tokenNotFound.error();
    }
    return { status: 200, body: envelope(ctx, now, redeemed.change) };
  });

  mount(listTokensRoute, async (ctx, { query }) => {
    const { items, total } = await listTokens(db, instanceOf(ctx), query);
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  mount(getTokenRoute, async (ctx, { params }) => {
    const token = await findToken(db, instanceOf(ctx), params.tokenAddress);
    if (token === undefined) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, token) };
  });

  mount(listHoldersRoute, async (ctx, { params, query }) => {
    const page = await listHolders(db, instanceOf(ctx), params.tokenAddress, query);
    if (page === undefined) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, page.items, page.total) };
  });

  mount(getBalanceRoute, async (ctx, { params }) => {
    const account = addressSchema.safeParse(params.account);
    if (!account.success) {
      throw instanceApiErrors.error('VALIDATION_ERROR', {
        details: [{ field: 'account', message: ACCOUNT_MESSAGE }],
      });
    }
    const balance = await findBalance(db, instanceOf(ctx), params.tokenAddress, account.data);
    if (balance === undefined) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, balance) };
  });

  return router;
}
