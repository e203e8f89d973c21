-- Lending markets (SPEC §4.5, service `lending`): liquidity positions and collateralised loans.
-- The market row carries the totals and is locked by every change to its market, and the CHECKs
-- hold the invariants whatever the code does: total borrows never above total deposits (so lent
-- liquidity cannot be removed), nothing negative, a collateral factor within 0–0.9.

CREATE TABLE lending_markets (
  id                   text PRIMARY KEY,                -- mkt_<24 hex>
  instance_id          text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  stock_token_address  text NOT NULL CHECK (stock_token_address ~ '^0x[0-9a-f]{40}$'),
  collateral_factor    numeric(78, 18) NOT NULL CHECK (collateral_factor BETWEEN 0 AND 0.9),
  -- The reference price of one stock token in the lent asset.
  price                numeric(78, 18) NOT NULL CHECK (price > 0),
  total_deposits       numeric(78, 18) NOT NULL DEFAULT 0 CHECK (total_deposits >= 0),
  total_borrows        numeric(78, 18) NOT NULL DEFAULT 0 CHECK (total_borrows >= 0),
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  CHECK (total_borrows <= total_deposits),
  CONSTRAINT lending_markets_instance_id_id_unique UNIQUE (instance_id, id)
);

CREATE INDEX lending_markets_list_idx ON lending_markets (instance_id, created_at, id);

CREATE TABLE lending_positions (
  instance_id  text NOT NULL,
  market_id    text NOT NULL,
  customer_id  text NOT NULL,
  deposited    numeric(78, 18) NOT NULL CHECK (deposited >= 0),
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (market_id, customer_id),
  FOREIGN KEY (instance_id, market_id) REFERENCES lending_markets (instance_id, id) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE
);

CREATE TABLE lending_loans (
  id                 text PRIMARY KEY,                  -- loan_<24 hex>
  instance_id        text NOT NULL,
  market_id          text NOT NULL,
  customer_id        text NOT NULL,
  collateral_amount  numeric(78, 18) NOT NULL CHECK (collateral_amount > 0),
  borrowed           numeric(78, 18) NOT NULL CHECK (borrowed > 0),
  outstanding        numeric(78, 18) NOT NULL CHECK (outstanding >= 0),
  status             text NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  closed_at          timestamptz,
  CHECK (outstanding <= borrowed),
  CHECK (status = 'OPEN' OR (outstanding = 0 AND closed_at IS NOT NULL)),
  FOREIGN KEY (instance_id, market_id) REFERENCES lending_markets (instance_id, id) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE
);

CREATE INDEX lending_loans_market_idx ON lending_loans (market_id, status);
