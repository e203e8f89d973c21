-- Customers of an instance (SPEC §4.5, service `customers`). Every row belongs to one instance and
-- every query filters on it: another instance's customer is never found.

CREATE TABLE customers (
  id              text PRIMARY KEY,                     -- cus_<24 hex>
  instance_id     text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  customer_type   text NOT NULL CHECK (customer_type IN ('INDIVIDUAL', 'COMPANY')),
  investor_type   text NOT NULL CHECK (investor_type IN ('RETAIL', 'PROFESSIONAL', 'ELIGIBLE_COUNTERPARTY')),
  country         text CHECK (country ~ '^[A-Z]{2,3}$'),
  -- Lowercase, so one wallet has one spelling. A customer created without a wallet gets a
  -- reference key; one that gets a wallet later keeps it. Every customer has one or both.
  wallet_address  text CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  reference_key   text CHECK (reference_key ~ '^ref_[0-9a-f]{32}$'),
  external_id     text CHECK (char_length(external_id) BETWEEN 1 AND 200),
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  archived        boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK (wallet_address IS NOT NULL OR reference_key IS NOT NULL),
  -- Duplicates are refused by the database, whatever the concurrency (409 CUSTOMER_EXISTS); an
  -- archived customer keeps its wallet and external id.
  CONSTRAINT customers_wallet_unique UNIQUE (instance_id, wallet_address),
  CONSTRAINT customers_external_id_unique UNIQUE (instance_id, external_id),
  CONSTRAINT customers_reference_key_unique UNIQUE (instance_id, reference_key),
  -- Lets other tables reference (instance, customer), so a row can never name another
  -- instance's customer.
  CONSTRAINT customers_instance_id_id_unique UNIQUE (instance_id, id)
);

CREATE INDEX customers_list_idx ON customers (instance_id, created_at, id);
