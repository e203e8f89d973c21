import type { Units } from '../decimal.js';

// The matching of one incoming order against the resting orders of the other side of its book,
// as a pure function of exact units (decimal.ts): no database, no clock, no ids it makes itself.
// The store reads the resting orders in priority order under the book's row lock, calls
// `matchOrder`, and writes what it answers in the same transaction; the property test compares
// it with an independently written model over random order sequences.

export type Side = 'BUY' | 'SELL';
type OrderType = 'LIMIT' | 'MARKET';
type TimeInForce = 'GTC' | 'IOC';
export type OrderStatus = 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELLED';

/** The order being placed. `price` is its limit (LIMIT), `undefined` for a MARKET order. */
export interface IncomingOrder {
  side: Side;
  orderType: OrderType;
  price: Units | undefined;
  quantity: Units;
  timeInForce: TimeInForce;
}

/** A resting order of the other side: always a LIMIT order with quantity left (`filled < quantity`). */
export interface RestingOrder {
  id: string;
  price: Units;
  quantity: Units;
  filled: Units;
}

/** One trade: `quantity` of the maker's order at the maker's price. */
export interface Fill {
  makerId: string;
  price: Units;
  quantity: Units;
}

/** A resting order after the match: its new filled quantity and status. */
interface MakerUpdate {
  id: string;
  /** Filled quantity before the match (the store's update is conditional on it). */
  previousFilled: Units;
  filled: Units;
  status: 'PARTIALLY_FILLED' | 'FILLED';
}

export interface MatchResult {
  /** The trades, in execution order (best price first, then time). */
  fills: Fill[];
  /** The incoming order's filled quantity. */
  filled: Units;
  /**
   * The incoming order's status: FILLED; else a GTC LIMIT order rests (OPEN, or PARTIALLY_FILLED
   * when it traded), and an IOC or MARKET order's remainder is CANCELLED (its `filled` says what
   * did trade).
   */
  status: OrderStatus;
  /** Whether the incoming order stays on the book. */
  rests: boolean;
  /** The resting orders that traded, in the order they traded. */
  makers: MakerUpdate[];
}

/**
 * Whether a resting order at `restingPrice` may trade with the incoming order: a MARKET order
 * takes any price; a BUY limit takes asks at or below it, a SELL limit bids at or above it.
 *
 * @example
 * crosses({ side: 'BUY', orderType: 'LIMIT', price: 10n, quantity: 1n, timeInForce: 'GTC' }, 9n) // true
 */
export function crosses(incoming: IncomingOrder, restingPrice: Units): boolean {
  if (incoming.orderType === 'MARKET' || incoming.price === undefined) return true;
  return incoming.side === 'BUY' ? restingPrice <= incoming.price : restingPrice >= incoming.price;
}

/**
 * Matches `incoming` against `resting`, the other side's resting orders in price-time priority
 * (asks by ascending price for a BUY, bids by descending price for a SELL; earlier first at one
 * price). Walks them in that order until the incoming quantity is used up or the next resting
 * price no longer crosses the incoming limit: every trade is at the resting (maker) order's
 * price, so never through the taker's limit. Partial fills on both sides; the caller may pass
 * more resting orders than are needed (they are left alone).
 *
 * @example
 * const { fills, status } = matchOrder(
 *   { side: 'BUY', orderType: 'LIMIT', price: 10n, quantity: 5n, timeInForce: 'GTC' },
 *   [{ id: 'ord_a', price: 9n, quantity: 3n, filled: 0n }],
 * );
 * // fills: [{ makerId: 'ord_a', price: 9n, quantity: 3n }], status: 'PARTIALLY_FILLED' (2 rest at 10)
 */
export function matchOrder(incoming: IncomingOrder, resting: readonly RestingOrder[]): MatchResult {
  if (incoming.quantity <= 0n) throw new RangeError('matchOrder: quantity must be positive');
  if ((incoming.orderType === 'LIMIT') !== (incoming.price !== undefined)) {
    throw new RangeError('matchOrder: a LIMIT order has a price, a MARKET order none');
  }
  const fills: Fill[] = [];
  const makers: MakerUpdate[] = [];
  let left = incoming.quantity;
  for (const maker of resting) {
    if (left === 0n) break;
    if (!crosses(incoming, maker.price)) break;
    const available = maker.quantity - maker.filled;
    // A resting order with nothing left is not on the book; the store never reads one.
    if (available <= 0n) continue;
    // biome-ignore lint/complexity/useMathMinMax: bigint units; Math.min takes numbers only
    const quantity = available < left ? available : left;
    left -= quantity;
    fills.push({ makerId: maker.id, price: maker.price, quantity });
    const filled = maker.filled + quantity;
    makers.push({
      id: maker.id,
      previousFilled: maker.filled,
      filled,
      status: filled === maker.quantity ? 'FILLED' : 'PARTIALLY_FILLED',
    });
  }
  const filled = incoming.quantity - left;
  if (left === 0n) return { fills, filled, status: 'FILLED', rests: false, makers };
  const rests = incoming.orderType === 'LIMIT' && incoming.timeInForce === 'GTC';
  const status: OrderStatus = !rests ? 'CANCELLED' : filled > 0n ? 'PARTIALLY_FILLED' : 'OPEN';
  return { fills, filled, status, rests, makers };
}
