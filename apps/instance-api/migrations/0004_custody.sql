-- Custody ledger (SPEC §4.5, service `custody`): registered tokens, balances per customer and
-- token, and the journal of every movement. The invariants live here, not only in code: no
-- balance below zero, locked never above the balance, and a token's total supply equal to the
-- sum of its balances (credits and debits change both in one transaction, transfers neither).

CREATE TABLE custody_tokens (
  instance_id    text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  token_address  text NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
  name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  symbol         text NOT NULL CHECK (char_length(symbol) BETWEEN 1 AND 20),
  decimals       integer NOT NULL CHECK (decimals BETWEEN 0 AND 18),
  active         boolean NOT NULL DEFAULT true,
  total_supply   numeric(78, 18) NOT NULL DEFAULT 0 CHECK (total_supply >= 0),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (instance_id, token_address)
);

CREATE TABLE custody_balances (
  instance_id    text NOT NULL,
  token_address  text NOT NULL,
  customer_id    text NOT NULL,
  balance        numeric(78, 18) NOT NULL DEFAULT 0 CHECK (balance >= 0),
  locked         numeric(78, 18) NOT NULL DEFAULT 0 CHECK (locked >= 0),
  updated_at     timestamptz NOT NULL,
  CHECK (locked <= balance),
  PRIMARY KEY (instance_id, token_address, customer_id),
  FOREIGN KEY (instance_id, token_address) REFERENCES custody_tokens (instance_id, token_address) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE
);

CREATE INDEX custody_balances_customer_idx ON custody_balances (instance_id, customer_id, token_address);

CREATE TABLE custody_transactions (
  id                text PRIMARY KEY,                   -- ctx_<24 hex>
  instance_id       text NOT NULL,
  token_address     text NOT NULL,
  type              text NOT NULL CHECK (type IN ('CREDIT', 'DEBIT', 'LOCK', 'UNLOCK', 'TRANSFER')),
  customer_id       text NOT NULL,                      -- the sender of a transfer
  to_customer_id    text,                               -- the receiver of a transfer
  amount            numeric(78, 18) NOT NULL CHECK (amount > 0),
  reference         text CHECK (char_length(reference) BETWEEN 1 AND 200),
  seq               bigserial NOT NULL,
  created_at        timestamptz NOT NULL,
  CHECK ((type = 'TRANSFER') = (to_customer_id IS NOT NULL)),
  FOREIGN KEY (instance_id, token_address) REFERENCES custody_tokens (instance_id, token_address) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE,
  FOREIGN KEY (instance_id, to_customer_id) REFERENCES customers (instance_id, id) ON DELETE CASCADE
);

CREATE INDEX custody_transactions_list_idx ON custody_transactions (instance_id, seq DESC);

-- `Idempotency-Key` (SPEC §4.5): the first successful answer to a key, kept 24 h and replayed
-- byte for byte. Written in the transaction of the change it answers, so the two commit or roll
-- back together: concurrent requests with one key make one change.
CREATE TABLE idempotency_keys (
  instance_id   text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  key           text NOT NULL CHECK (char_length(key) BETWEEN 8 AND 200),
  -- SHA-256 of the operation and its validated request: another request under the key is a 409.
  fingerprint   text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  status        integer NOT NULL,
  body          text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (instance_id, key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
