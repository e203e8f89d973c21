import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';
import { resourceIdPattern } from '../../ids.js';
import {
  addressOut,
  addressSchema,
  amountSchema,
  customerRefSchema,
  decimalOut,
  intQuery,
  pageQuery,
} from '../common.js';
import { customerIdSchema } from '../customers/schemas.js';

// Order books, orders and trades and their requests (SPEC §4.5, service `trading`).

const SIDES = ['BUY', 'SELL'] as const;
const ORDER_TYPES = ['LIMIT', 'MARKET'] as const;
const TIMES_IN_FORCE = ['GTC', 'IOC'] as const;
const ORDER_STATUSES = ['OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED'] as const;

/** Most price levels a snapshot shows per side (SPEC §4.5: default 20, max 100). */
const MAX_SNAPSHOT_LEVELS = 100;

const orderBookIdSchema = z
  .string()
  .regex(resourceIdPattern('ob'))
  .meta({ description: 'Order book id, `ob_` + 24 hex.' });
const orderIdSchema = z
  .string()
  .regex(resourceIdPattern('ord'))
  .meta({ description: 'Order id, `ord_` + 24 hex.' });
const tradeIdSchema = z
  .string()
  .regex(resourceIdPattern('trd'))
  .meta({ description: 'Trade id, `trd_` + 24 hex.' });

const side = z.enum(SIDES, { message: 'must be BUY or SELL' });
const orderType = z.enum(ORDER_TYPES, { message: 'must be LIMIT or MARKET' });
const timeInForce = z.enum(TIMES_IN_FORCE, { message: 'must be GTC or IOC' });
const orderStatus = z.enum(ORDER_STATUSES);

const SAME_TOKENS = 'must differ from tokenAddress';

export const createOrderBookBody = z
  .strictObject({
    tokenAddress: addressSchema.meta({ description: 'The traded (base) token.' }),
    quoteTokenAddress: addressSchema.meta({ description: 'The token prices are quoted in.' }),
    name: singleLineText({ min: 1, max: 100 }),
    symbol: singleLineText({ min: 1, max: 20 }),
  })
  .refine((body) => body.tokenAddress !== body.quoteTokenAddress, {
    message: SAME_TOKENS,
    path: ['quoteTokenAddress'],
  })
  .meta({
    id: 'CreateOrderBookRequest',
    description:
      'An order book trading `tokenAddress` against `quoteTokenAddress` (two different addresses). Prices are quote-token amounts per one base token. Several books may trade the same pair.',
  });

const PRICE_REQUIRED = 'is required for a LIMIT order';
const PRICE_FORBIDDEN = 'must be absent for a MARKET order (it trades at the resting orders’ prices)';

export const createOrderBody = z
  .strictObject({
    orderBookId: singleLineText({ min: 1, max: 200 }).meta({
      description: "An order book of the caller's instance; any other value is a 404.",
    }),
    customerRef: customerRefSchema,
    side,
    orderType,
    price: amountSchema
      .optional()
      .meta({ description: 'The limit price of a LIMIT order; absent for MARKET.' }),
    quantity: amountSchema,
    timeInForce: timeInForce.default('GTC').meta({
      description:
        'GTC (default): a LIMIT order’s remainder rests on the book. IOC: the remainder is cancelled. A MARKET order never rests, whatever its time in force.',
    }),
  })
  .superRefine((body, ctx) => {
    if (body.orderType === 'LIMIT' && body.price === undefined) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: PRICE_REQUIRED });
    }
    if (body.orderType === 'MARKET' && body.price !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: PRICE_FORBIDDEN });
    }
  })
  .meta({
    id: 'CreateOrderRequest',
    description:
      'Matched at once in price-time priority against the other side of the book; each trade is at the resting order’s price, never beyond this order’s limit. A LIMIT GTC remainder rests; IOC and MARKET orders never rest (their remainder is CANCELLED). A MARKET order against an empty side is accepted and CANCELLED with no trades. Orders of one customer may trade with each other.',
  });

export const cancelOrderBody = z
  .strictObject({
    customerRef: customerRefSchema.meta({
      description: 'The customer who placed the order (any of its identifiers); only it may cancel.',
    }),
  })
  .meta({ id: 'CancelOrderRequest' });

export const orderBookParams = z.object({
  id: orderBookIdSchema.meta({
    param: {
      id: 'OrderBookId',
      description: "Order book id of the caller's instance; any other value is a 404.",
    },
  }),
});

export const orderParams = z.object({
  orderId: orderIdSchema.meta({
    param: { id: 'OrderId', description: "Order id of the caller's instance; any other value is a 404." },
  }),
});

export const listPageQuery = z.object({ ...pageQuery });

export const snapshotQuery = z.object({
  levels: intQuery(1, MAX_SNAPSHOT_LEVELS, 20).meta({
    description: `Price levels per side, 1–${MAX_SNAPSHOT_LEVELS}, default 20.`,
  }),
});

export const orderBookSchema = z
  .object({
    id: orderBookIdSchema,
    tokenAddress: addressOut,
    quoteTokenAddress: addressOut,
    name: z.string(),
    symbol: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'OrderBook', description: 'An order book of the instance.' });
export type OrderBookView = z.infer<typeof orderBookSchema>;

const priceLevel = z
  .object({
    price: decimalOut,
    quantity: decimalOut.meta({ description: 'The unfilled quantity of the resting orders at this price.' }),
    orders: z.int().min(1).meta({ description: 'How many resting orders make up the level.' }),
  })
  .meta({ id: 'PriceLevel' });

export const snapshotSchema = z
  .object({
    orderBookId: orderBookIdSchema,
    bids: z.array(priceLevel).meta({ description: 'Resting BUY orders by price, highest first.' }),
    asks: z.array(priceLevel).meta({ description: 'Resting SELL orders by price, lowest first.' }),
  })
  .meta({
    id: 'OrderBookSnapshot',
    description: 'The resting orders aggregated by price level, as of one moment (both sides read together).',
  });
export type SnapshotView = z.infer<typeof snapshotSchema>;

export const tradeSchema = z
  .object({
    id: tradeIdSchema,
    orderBookId: orderBookIdSchema,
    buyOrderId: orderIdSchema,
    sellOrderId: orderIdSchema,
    takerSide: side.meta({ description: 'The side of the incoming order that made the trade.' }),
    price: decimalOut.meta({ description: 'The resting (maker) order’s price.' }),
    quantity: decimalOut,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Trade', description: 'A trade between a BUY and a SELL order of one book.' });
export type TradeView = z.infer<typeof tradeSchema>;

export const orderSchema = z
  .object({
    id: orderIdSchema,
    orderBookId: orderBookIdSchema,
    customerId: customerIdSchema,
    side,
    orderType,
    price: decimalOut.nullable().meta({ description: 'The limit price; null for a MARKET order.' }),
    quantity: decimalOut,
    filledQuantity: decimalOut,
    timeInForce,
    status: orderStatus.meta({
      description:
        'OPEN or PARTIALLY_FILLED: resting on the book. FILLED: all of it traded. CANCELLED: by its owner, or the remainder of an IOC or MARKET order (`filledQuantity` says what did trade).',
    }),
    trades: z
      .array(tradeSchema)
      .meta({ description: 'Every trade of the order, as taker or maker, oldest first.' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order', description: 'An order and its trades.' });
export type OrderView = z.infer<typeof orderSchema>;
