-- The MiCA register data (SPEC §5.3): one row per ESMA register record, replaced per file kind
-- in one transaction by src/register/store.ts, and the last import of each kind.

CREATE TABLE register_records (
  -- mica_ + 20 hex of SHA-256 over the kind and the row's normalised cells: stable across
  -- re-imports of an unchanged row, and the same for rows identical in every field.
  id                      text PRIMARY KEY CHECK (id ~ '^mica_[0-9a-f]{20}$'),
  -- ESMA file kind (file-name prefix) and the published license / entity types it maps to.
  kind                    text NOT NULL CHECK (kind IN ('CASP', 'EMT', 'ART', 'OTHER', 'NCASP')),
  license_type            text NOT NULL,
  entity_type             text NOT NULL,
  entity_name             text,
  entity_identifier       text,                   -- LEI as published; blank in many NCASP rows
  country                 text,
  country_code            text CHECK (country_code ~ '^[A-Z]{2}$'),
  national_authority      text,
  commercial_name         text,
  address                 text,
  website                 text,
  website_platform        text,
  authorization_date      date,
  authorization_end_date  date,
  services                text[] NOT NULL,
  passported_countries    text[] NOT NULL,
  comments                text,
  -- Derived at import (JavaScript lower-casing, the same on every backend and locale):
  -- lower-cased name, LEI, authority and commercial name, one per line, for `search` and `q`;
  -- and the lower-cased name, the sort key of `sortBy=entityName` (compared with COLLATE "C").
  search_text             text NOT NULL,
  sort_name               text,
  -- Where the record came from: the file, the line its row starts on, and every named cell.
  source_file             text NOT NULL,
  source_line             integer NOT NULL CHECK (source_line > 1),
  source_fields           jsonb NOT NULL,
  imported_at             timestamptz NOT NULL,
  CHECK (
    (kind = 'CASP' AND license_type = 'CASP' AND entity_type = 'provider') OR
    (kind = 'EMT' AND license_type = 'EMT' AND entity_type = 'issuer') OR
    (kind = 'ART' AND license_type = 'ART' AND entity_type = 'issuer') OR
    (kind = 'OTHER' AND license_type = 'OTHER' AND entity_type = 'whitepaper') OR
    (kind = 'NCASP' AND license_type = 'NON_COMPLIANT' AND entity_type = 'non_compliant')
  )
);

CREATE INDEX register_records_kind_idx ON register_records (kind);
CREATE INDEX register_records_country_code_idx ON register_records (country_code);
CREATE INDEX register_records_sort_name_idx ON register_records ((sort_name COLLATE "C"), id);

-- The last successful import of each kind (SPEC §5.3 `lastSync`).
CREATE TABLE register_sync (
  kind          text PRIMARY KEY CHECK (kind IN ('CASP', 'EMT', 'ART', 'OTHER', 'NCASP')),
  file_name     text NOT NULL,
  file_sha256   text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  record_count  integer NOT NULL CHECK (record_count >= 0),
  skipped_count integer NOT NULL CHECK (skipped_count >= 0),
  imported_at   timestamptz NOT NULL
);
