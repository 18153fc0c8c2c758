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
    street varchar, address varchar, postcode varchar, company varchar,
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
    phone varchar, phone_raw varchar, phone_valid boolean not null, phone_type varchar,
    email varchar, email_raw varchar, email_valid boolean not null,
    country varchar, province varchar, city varchar, district varchar, street varchar, postcode varchar,
    company varchar,
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

-- Results of the per-value libraries, kept across nights: a night's export is mostly yesterday's customers.
-- `version` names the library version and our standardiser version; a change of either misses the cache.
create table if not exists value_cache (
    kind varchar not null,             -- phone | email
    key varchar not null,              -- the canonical key the library was called with
    result json not null,
    version varchar not null,
    primary key (kind, key, version)
);
