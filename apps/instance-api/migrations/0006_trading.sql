-- Off-chain order books (SPEC §4.5, service `trading`). Matching of one book is serialised by a
-- row lock on the book (SELECT … FOR UPDATE) for the whole matching transaction, so concurrent
-- orders never fill the same resting quantity twice; the CHECKs hold the rest (nothing filled
-- beyond its quantity, a MARKET order has no price).

CREATE TABLE order_books (
  id                   text PRIMARY KEY,                -- ob_<24 hex>
  instance_id          text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  token_address        text NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
  quote_token_address  text NOT NULL CHECK (quote_token_address ~ '^0x[0-9a-f]{40}$'),
  name                 text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  symbol               text NOT NULL CHECK (char_length(symbol) BETWEEN 1 AND 20),
  created_at           timestamptz NOT NULL,
  CHECK (token_address <> quote_token_address),
  CONSTRAINT order_books_instance_id_id_unique UNIQUE (instance_id, id)
);

CREATE INDEX order_books_list_idx ON order_books (instance_id, created_at, id);

CREATE TABLE orders (
  id               text PRIMARY KEY,                    -- ord_<24 hex>
  instance_id      text NOT NULL,
  order_book_id    text NOT NULL,
  customer_id      text NOT NULL,
  side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type       text NOT NULL CHECK (order_type IN ('LIMIT', 'MARKET')),
  price            numeric(78, 18) CHECK (price > 0),
  quantity         numeric(78, 18) NOT NULL CHECK (quantity > 0),
  filled_quantity  numeric(78, 18) NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
  time_in_force    text NOT NULL CHECK (time_in_force IN ('GTC', 'IOC')),
  status           text NOT NULL CHECK (status IN ('OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED')),
  -- Time priority: the order in which orders reached the (locked) book.
  seq              bigserial NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK (filled_quantity <= quantity),
  CHECK ((order_type = 'LIMIT') = (price IS NOT NULL)),
  FOREIGN KEY (instance_id, order_book_id) REFERENCES order_books (instance_id, id) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE
);

-- The resting orders of a book side in priority order.
CREATE INDEX orders_resting_idx ON orders (order_book_id, side, price, seq)
  WHERE status IN ('OPEN', 'PARTIALLY_FILLED');

CREATE TABLE trades (
  id              text PRIMARY KEY,                     -- trd_<24 hex>
  instance_id     text NOT NULL,
  order_book_id   text NOT NULL,
  buy_order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  sell_order_id   text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  taker_side      text NOT NULL CHECK (taker_side IN ('BUY', 'SELL')),
  -- Always the resting (maker) order's limit price.
  price           numeric(78, 18) NOT NULL CHECK (price > 0),
  quantity        numeric(78, 18) NOT NULL CHECK (quantity > 0),
  seq             bigserial NOT NULL,
  created_at      timestamptz NOT NULL,
  CHECK (buy_order_id <> sell_order_id),
  FOREIGN KEY (instance_id, order_book_id) REFERENCES order_books (instance_id, id) ON DELETE CASCADE
);

CREATE INDEX trades_book_idx ON trades (order_book_id, seq DESC);
-- An order's trades (GET /orders/:orderId), and the cascade when an order goes.
CREATE INDEX trades_buy_order_idx ON trades (buy_order_id, seq);
CREATE INDEX trades_sell_order_idx ON trades (sell_order_id, seq);
