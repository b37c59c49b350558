SET lock_timeout = '5s';

CREATE TABLE prices (
    sku TEXT NOT NULL,
    price_list TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sku, price_list, valid_from)
);
