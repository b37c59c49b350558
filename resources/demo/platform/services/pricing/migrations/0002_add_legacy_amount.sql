-- Kept while the old storefront app (v3) still reads prices in float units.
SET lock_timeout = '5s';

ALTER TABLE prices ADD COLUMN legacy_amount NUMERIC(12, 4);
