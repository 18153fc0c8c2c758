-- The warehouse tables of the nightly pipeline; every statement is idempotent.
create table if not exists raw_customers (
    partition_date date not null,
    run_id varchar not null,
    source_system varchar not null,
    source_file varchar not null,
    source_line bigint not null,
    source_record_id varchar,
    parse_error varchar,
    full_name varchar, given_name varchar, family_name varchar, gender varchar, birth_date varchar,
    phone varchar, email varchar, country varchar, province varchar, city varchar, district varchar,
    street varchar, address varchar, postcode varchar, company varchar, national_id varchar,
    created_at varchar, updated_at varchar, last_activity_at varchar, email_opt_out varchar,
    extra json
);

create table if not exists ingest_files (
    partition_date date not null,
    run_id varchar not null,
    source_system varchar not null,
    source_file varchar not null,
    status varchar not null,           -- read | rejected
    rows_read bigint not null,
    error varchar,                     -- file and line of the problem, no customer values
    notes varchar,
    columns json                       -- headers as found, for schema drift
);
-- how the source delivers: changes (new and changed records) or full (every live record; sources.yaml delivery)
alter table ingest_files add column if not exists delivery varchar;

create table if not exists customers_clean (
    partition_date date not null,
    run_id varchar not null,
    source_system varchar not null,
    source_file varchar not null,
    source_line bigint not null,
    source_record_id varchar not null,
    full_name varchar, given_name varchar, family_name varchar,
    gender varchar not null,
    birth_date date,
    phone varchar, phone_raw varchar, phone_valid boolean not null, phone_type varchar, phone_extension varchar,
    email varchar, email_raw varchar, email_valid boolean not null,
    country varchar, province varchar, city varchar, district varchar, street varchar, postcode varchar,
    company varchar, national_id varchar,
    created_at timestamp, updated_at timestamp, last_activity_at timestamp,
    email_opt_out boolean,
    quality_flags varchar[],
    extra json
);

create table if not exists quarantine (
    partition_date date not null,
    run_id varchar not null,
    source_system varchar not null,
    source_file varchar not null,
    source_line bigint not null,
    source_record_id varchar,
    field varchar not null,
    rule varchar not null,
    reason varchar not null,
    other_rules varchar[]
);

create table if not exists pipeline_runs (
    run_id varchar not null,
    partition_date date not null,
    source_system varchar not null,
    source_file varchar not null,
    rows_in bigint not null,
    rows_clean bigint not null,
    rows_quarantined bigint not null,
    status varchar not null,           -- completed | rejected
    error varchar,
    started timestamp not null,
    finished timestamp not null
);

-- Nights whose customers_clean rows failed a blocking check: held out of the customer masters until a rerun
-- (a new run_id) passes. One row per failed check of the held rows' run; a check that passes again on the same
-- rows removes its row (pipelines/warehouse/holds.py).
create table if not exists night_holds (
    partition_date date not null,
    run_id varchar not null,           -- the customers_clean run whose rows are held
    check_name varchar not null,
    held_at timestamp not null
);

-- Results of the per-value libraries, kept across nights: a night's export is mostly yesterday's customers.
-- `version` names the library version and our standardiser version; a change of either misses the cache.
create table if not exists value_cache (
    kind varchar not null,             -- phone | email | address
    key varchar not null,              -- the canonical key the library was called with
    result json not null,
    version varchar not null           -- (kind, key, version) is unique: rows are only added for keys not in it
);

-- Columns added after a warehouse was first built (every statement stays idempotent).
alter table raw_customers add column if not exists national_id varchar;
alter table customers_clean add column if not exists national_id varchar;
-- a phone's extension (E.164 has no room for it)
alter table customers_clean add column if not exists phone_extension varchar;
-- whether the source system marks the record deleted (Salesforce IsDeleted); the rule deleted_in_source reads it
alter table raw_customers add column if not exists deleted varchar;
-- an opt-in column (Shopify's Accepts Email Marketing) as written; cleansing turns it round into email_opt_out
alter table raw_customers add column if not exists email_opt_in varchar;
-- an active column (Zendesk's active, 是否有效) as written; cleansing turns it round into deleted
alter table raw_customers add column if not exists active varchar;

-- Customer master records: one per real person, across sources and nights.
create table if not exists customer_master (
    master_id varchar not null,        -- unique: checked by the customer_master asset checks
    full_name varchar, full_name_source varchar, given_name varchar, given_name_source varchar,
    family_name varchar, family_name_source varchar, gender varchar, gender_source varchar,
    birth_date date, birth_date_source varchar, phone varchar, phone_source varchar, phone_extension varchar,
    email varchar, email_source varchar, country varchar, country_source varchar,
    province varchar, province_source varchar, city varchar, city_source varchar,
    district varchar, district_source varchar, street varchar, street_source varchar,
    postcode varchar, postcode_source varchar, company varchar, company_source varchar,
    email_opt_out boolean, email_opt_out_source varchar,
    record_count bigint not null,
    sources varchar[],
    first_seen date,
    last_seen date,
    issued_at timestamp not null
);
-- the surviving phone's extension, from the record that gives the phone
alter table customer_master add column if not exists phone_extension varchar;

create table if not exists customer_xref (
    source_system varchar not null,
    source_record_id varchar not null,
    master_id varchar not null,
    match_probability double,          -- strongest link that put the record in its master; null when alone
    matched_at timestamp not null,     -- when the record got this master id
    record_hash varchar,               -- fingerprint of the record's matching fields when last scored
    scored_with varchar                -- fingerprint of the model and matching rules that scored it
);
alter table customer_xref add column if not exists record_hash varchar;
alter table customer_xref add column if not exists scored_with varchar;
-- fingerprint of everything the record gives its master's golden record (match_records.golden_hash)
alter table customer_xref add column if not exists golden_hash varchar;

create table if not exists match_review (
    unique_id_l varchar not null,
    unique_id_r varchar not null,
    master_id_l varchar,
    master_id_r varchar,
    match_probability double not null,
    evidence json                      -- per comparison: the level that applied and both values
);

create table if not exists master_id_history (
    old_id varchar not null,           -- merge: the retired id; split: the id the records left; retired,
                                       -- reissued: the id
    new_id varchar,                    -- merge: the surviving id; split: the id they now have; retired: null;
                                       -- reissued: the id
    change varchar not null,           -- merge | split | retired (its records left customers_clean) | reissued
                                       -- (a retired id back with the record it was made from)
    reason varchar not null,
    changed_at timestamp not null
);
alter table master_id_history alter column new_id drop not null;

create table if not exists customer_name_history (
    master_id varchar not null,
    full_name varchar not null,
    family_name varchar,
    given_name varchar,
    sources varchar[],
    first_seen date,
    last_seen date,
    is_current boolean not null        -- the golden name today; the others are former names (曾用名)
);

create table if not exists customer_address_history (
    master_id varchar not null,
    province varchar, city varchar, district varchar, street varchar, postcode varchar,
    sources varchar[],
    first_seen date,
    last_seen date,
    is_current boolean not null
);

-- Quality metrics per night, kept across nights (a rerun replaces its night's rows).
-- source_system 'all' = every source together; for rule counts `field` holds the rule name.
create table if not exists quality_metrics (
    partition_date date not null,
    run_id varchar not null,
    source_system varchar not null,
    table_name varchar not null,
    field varchar not null,
    metric varchar not null,           -- completeness | validity | uniqueness | consistency | timeliness | ...
    value double,                      -- a rate in 0..1, or a count / number of days for the *_count, *_days metrics
    numerator bigint,
    denominator bigint,
    computed_at timestamp not null
);

-- Alerts raised by rules/alerts.yaml against the trailing history of quality_metrics.
create table if not exists alerts (
    partition_date date not null,
    run_id varchar not null,
    rule varchar not null,
    source_system varchar not null,
    table_name varchar not null,
    field varchar not null,
    metric varchar not null,
    value double,
    baseline double,
    threshold double not null,
    message varchar not null,
    raised_at timestamp not null
);

-- Results of the expectation suites (checks/expectations/*.yaml), one row per expectation and check run.
-- Counts only: no failing value is kept. History is kept; the latest row per night and suite is current.
create table if not exists expectation_results (
    run_id varchar not null,
    partition_date date,               -- null for the master tables, which are not partitioned
    suite varchar not null,            -- the table the suite describes
    expectation varchar not null,      -- type(column)
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent double,
    error varchar,                     -- GX's message when the expectation could not be evaluated
    validated_at timestamp not null,
    severity varchar                   -- error: its failure blocks the assets downstream; warn: reported only
);
alter table expectation_results add column if not exists severity varchar;
