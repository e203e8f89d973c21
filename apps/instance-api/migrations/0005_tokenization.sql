-- Tokenized securities (SPEC §4.5, service `tokenization`): deployed token records and their
-- off-chain holder ledger. Nothing is submitted on chain: a deploy returns the unsigned payload.
-- A token's total supply equals the sum of its holdings (issue and redeem change both in one
-- transaction); no holding is below zero.

CREATE TABLE tokenized_tokens (
  instance_id     text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  token_address   text NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
  name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  symbol          text NOT NULL CHECK (char_length(symbol) BETWEEN 1 AND 20),
  isin            text NOT NULL CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
  issuer_address  text NOT NULL CHECK (issuer_address ~ '^0x[0-9a-f]{40}$'),
  total_supply    numeric(78, 18) NOT NULL DEFAULT 0 CHECK (total_supply >= 0),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (instance_id, token_address),
  CONSTRAINT tokenized_tokens_isin_unique UNIQUE (instance_id, isin)
);

CREATE INDEX tokenized_tokens_list_idx ON tokenized_tokens (instance_id, created_at, token_address);

CREATE TABLE tokenized_holdings (
  instance_id    text NOT NULL,
  token_address  text NOT NULL,
  account        text NOT NULL CHECK (account ~ '^0x[0-9a-f]{40}$'),
  balance        numeric(78, 18) NOT NULL CHECK (balance >= 0),
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (instance_id, token_address, account),
  FOREIGN KEY (instance_id, token_address) REFERENCES tokenized_tokens (instance_id, token_address) ON DELETE CASCADE
);
