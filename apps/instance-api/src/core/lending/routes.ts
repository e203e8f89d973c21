import { type DocumentedError, instanceApiErrors } from '@portcullis/errors';
import { defineRoute } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../../app.js';
import { type AppKit, documented, envelope, errors, ok } from '../../http.js';
import {
  BAD_REQUEST,
  customerNotFound,
  instanceOf,
  listRoute,
  notFound,
  readRoute,
  SERVICE_ROUTE,
  serviceDeclaration,
  serviceRouter,
} from '../common.js';
import { KeyedQueue } from '../keyed-queue.js';
import {
  closeLoanBody,
  createMarketBody,
  liquidityBody,
  listMarketsQuery,
  loanSchema,
  marketIdSchema,
  marketMetricsSchema,
  marketSchema,
  openLoanBody,
  positionSchema,
  repayBody,
} from './schemas.js';
import {
  addLiquidity,
  closeLoan,
  createMarket,
  findMarket,
  type LendingRefusal,
  listMarkets,
  marketMetrics,
  openLoan,
  removeLiquidity,
  repayLoan,
} from './store.js';

/** SPEC §4.5 (published path). */
export const LENDING_PREFIX = '/lending-stocks/api';

const common = serviceDeclaration('Lending');

const marketNotFound = notFound('Market not found');
const loanNotFound = notFound('Loan not found');
const insufficientBalance = documented(
  instanceApiErrors,
  'INSUFFICIENT_BALANCE',
  "The amount is more than the customer's position",
);
const insufficientLiquidity = documented(
  instanceApiErrors,
  'INSUFFICIENT_LIQUIDITY',
  'The amount is more than the market has free (total deposits − total borrows)',
);
const insufficientCollateral = documented(
  instanceApiErrors,
  'INSUFFICIENT_COLLATERAL',
  'The borrow amount is more than collateralAmount × price × collateralFactor',
);
const exceedsOutstanding = 'Amount exceeds the outstanding debt';
const outstandingDebt = 'Loan has outstanding debt';
const loanClosed = 'Loan is closed';

/**
 * One documented error for several messages of one code (the document lists a code once per
 * status): `NOT_FOUND` "Market not found, Customer not found or Loan not found".
 */
function anyOf(first: DocumentedError, ...rest: DocumentedError[]): DocumentedError {
  const messages = [first, ...rest].map((error) => error.message);
  const last = messages.pop();
  return { ...first, message: messages.length === 0 ? `${last}` : `${messages.join(', ')} or ${last}` };
}

const marketParams = z.object({
  marketId: marketIdSchema.meta({
    param: {
      id: 'MarketId',
      description: 'A market of the caller\'s instance; any other value is a 404 "Market not found".',
    },
  }),
});

const listMarketsRoute = listRoute({
  tag: 'Lending',
  path: `${LENDING_PREFIX}/markets`,
  operationId: 'listLendingMarkets',
  summary: "The instance's lending markets, oldest first",
  query: listMarketsQuery,
  item: marketSchema,
  answer: 'One page of markets.',
});

const createMarketRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/markets`,
  operationId: 'createLendingMarket',
  summary: 'Create a lending market',
  request: { body: createMarketBody },
  responses: {
    201: ok('The new market, with nothing deposited or borrowed.', marketSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, ...SERVICE_ROUTE]),
  },
});

const getMarketRoute = readRoute({
  tag: 'Lending',
  path: `${LENDING_PREFIX}/markets/:marketId`,
  operationId: 'getLendingMarket',
  summary: 'A lending market and its totals',
  params: marketParams,
  notFound: marketNotFound,
  item: marketSchema,
  answer: 'The market.',
});

const marketMetricsRoute = readRoute({
  tag: 'Lending',
  path: `${LENDING_PREFIX}/markets/:marketId/metrics`,
  operationId: 'getLendingMarketMetrics',
  summary: "A market's deposits, borrows, free liquidity, utilization and loan counts",
  params: marketParams,
  notFound: marketNotFound,
  item: marketMetricsSchema,
  answer: 'The metrics, read at one instant.',
});

const positionNotFound = anyOf(marketNotFound.documented, customerNotFound.documented);
const loanChangeNotFound = anyOf(
  marketNotFound.documented,
  customerNotFound.documented,
  loanNotFound.documented,
);

const addLiquidityRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/positions/:marketId/add-liquidity`,
  operationId: 'addLendingLiquidity',
  summary: "Add to a customer's liquidity position",
  request: { params: marketParams, body: liquidityBody },
  invalidParams: marketNotFound.error,
  responses: {
    200: ok("The customer's position and the market after the deposit.", positionSchema, {
      instanceId: true,
    }),
    ...errors([...BAD_REQUEST, positionNotFound, ...SERVICE_ROUTE]),
  },
});

const removeLiquidityRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/positions/:marketId/remove-liquidity`,
  operationId: 'removeLendingLiquidity',
  summary: "Withdraw from a customer's liquidity position (liquidity lent out stays)",
  request: { params: marketParams, body: liquidityBody },
  invalidParams: marketNotFound.error,
  responses: {
    200: ok("The customer's position and the market after the withdrawal.", positionSchema, {
      instanceId: true,
    }),
    ...errors([
      ...BAD_REQUEST,
      insufficientBalance,
      insufficientLiquidity,
      positionNotFound,
      ...SERVICE_ROUTE,
    ]),
  },
});

const openLoanRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/positions/:marketId/open-loan`,
  operationId: 'openLoan',
  summary: 'Borrow against stock tokens',
  description:
    'The collateral is recorded on the loan (not moved in custody) and released when the loan is closed.',
  request: { params: marketParams, body: openLoanBody },
  invalidParams: marketNotFound.error,
  responses: {
    201: ok('The new loan; `loanId` names it in `repay` and `close-loan`.', loanSchema, { instanceId: true }),
    ...errors([
      ...BAD_REQUEST,
      insufficientCollateral,
      insufficientLiquidity,
      positionNotFound,
      ...SERVICE_ROUTE,
    ]),
  },
});

const repayRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/positions/:marketId/repay`,
  operationId: 'repayLoan',
  summary: 'Pay back part or all of a loan',
  request: { params: marketParams, body: repayBody },
  invalidParams: marketNotFound.error,
  responses: {
    200: ok('The loan after the repayment (still `OPEN`: close it with `close-loan`).', loanSchema, {
      instanceId: true,
    }),
    ...errors([
      ...BAD_REQUEST,
      anyOf(
        documented(instanceApiErrors, 'INVALID_INPUT', exceedsOutstanding),
        documented(instanceApiErrors, 'INVALID_INPUT', loanClosed),
      ),
      loanChangeNotFound,
      ...SERVICE_ROUTE,
    ]),
  },
});

const closeLoanRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${LENDING_PREFIX}/positions/:marketId/close-loan`,
  operationId: 'closeLoan',
  summary: 'Close a repaid loan, releasing its collateral',
  request: { params: marketParams, body: closeLoanBody },
  invalidParams: marketNotFound.error,
  responses: {
    200: ok('The closed loan.', loanSchema, { instanceId: true }),
    ...errors([
      ...BAD_REQUEST,
      anyOf(
        documented(instanceApiErrors, 'INVALID_INPUT', outstandingDebt),
        documented(instanceApiErrors, 'INVALID_INPUT', loanClosed),
      ),
      loanChangeNotFound,
      ...SERVICE_ROUTE,
    ]),
  },
});

function refuse(reason: LendingRefusal): never {
  switch (reason) {
    case 'market-not-found':
      throw marketNotFound.error();
    case 'customer-not-found':
      throw customerNotFound.error();
    case 'loan-not-found':
      throw loanNotFound.error();
    case 'insufficient-balance':
      throw instanceApiErrors.error('INSUFFICIENT_BALANCE', { message: insufficientBalance.message });
    case 'insufficient-liquidity':
      throw instanceApiErrors.error('INSUFFICIENT_LIQUIDITY', { message: insufficientLiquidity.message });
    case 'insufficient-collateral':
      throw instanceApiErrors.error('INSUFFICIENT_COLLATERAL', { message: insufficientCollateral.message });
    case 'exceeds-outstanding':
      throw instanceApiErrors.error('INVALID_INPUT', { message: exceedsOutstanding });
    case 'outstanding-debt':
      throw instanceApiErrors.error('INVALID_INPUT', { message: outstandingDebt });
    case 'loan-closed':
      throw instanceApiErrors.error('INVALID_INPUT', { message: loanClosed });
  }
}

/**
 * Lending (SPEC §4.5) under `/lending-stocks/api`, behind the `lending` service gate.
 *
 * @example
 * app.use(guardedRoutes(lendingRoutes(kit, deps), { prefixes: [LENDING_PREFIX] }));
 */
export function lendingRoutes(kit: AppKit, deps: AppDeps) {
  const { db, now } = deps;
  const { router, mount } = serviceRouter(kit, 'lending', LENDING_PREFIX);
  // The changes of one market queue here before they take a connection (see KeyedQueue).
  const queue = new KeyedQueue();
  const inLine = <T>(instanceId: string, marketId: string, work: () => Promise<T>) =>
    queue.run(`${instanceId}/${marketId}`, work);

  mount(listMarketsRoute, async (ctx, { query }) => {
    const { items, total } = await listMarkets(db, instanceOf(ctx), query);
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  mount(createMarketRoute, async (ctx, { body }) => {
    const market = await createMarket(db, instanceOf(ctx), body, new Date(now()));
    return { status: 201, body: envelope(ctx, now, market) };
  });

  mount(getMarketRoute, async (ctx, { params }) => {
    const market = await findMarket(db, instanceOf(ctx), params.marketId);
    if (market === undefined) throw marketNotFound.error();
    return { status: 200, body: envelope(ctx, now, market) };
  });

  mount(marketMetricsRoute, async (ctx, { params }) => {
    const metrics = await marketMetrics(db, instanceOf(ctx), params.marketId);
    if (metrics === undefined) throw marketNotFound.error();
    return { status: 200, body: envelope(ctx, now, metrics) };
  });

  mount(addLiquidityRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const done = await inLine(instanceId, params.marketId, () =>
      addLiquidity(db, instanceId, params.marketId, body.customerRef, body.amount, new Date(now())),
    );
    if (!done.ok) refuse(done.reason);
    return { status: 200, body: envelope(ctx, now, done.position) };
  });

  mount(removeLiquidityRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const done = await inLine(instanceId, params.marketId, () =>
      removeLiquidity(db, instanceId, params.marketId, body.customerRef, body.amount, new Date(now())),
    );
    if (!done.ok) refuse(done.reason);
    return { status: 200, body: envelope(ctx, now, done.position) };
  });

  mount(openLoanRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const done = await inLine(instanceId, params.marketId, () =>
      openLoan(db, instanceId, params.marketId, body.customerRef, body, new Date(now())),
    );
    if (!done.ok) refuse(done.reason);
    return { status: 201, body: envelope(ctx, now, done.loan) };
  });

  mount(repayRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const done = await inLine(instanceId, params.marketId, () =>
      repayLoan(db, instanceId, params.marketId, body.customerRef, body.loanId, body.amount, new Date(now())),
    );
    if (!done.ok) refuse(done.reason);
    return { status: 200, body: envelope(ctx, now, done.loan) };
  });

  mount(closeLoanRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const done = await inLine(instanceId, params.marketId, () =>
      closeLoan(db, instanceId, params.marketId, body.customerRef, body.loanId, new Date(now())),
    );
    if (!done.ok) refuse(done.reason);
    return { status: 200, body: envelope(ctx, now, done.loan) };
  });

  return router;
}
