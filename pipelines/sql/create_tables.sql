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

-- Customer master records: one per real person, across sources and nights.
create table if not exists customer_master (
    master_id varchar primary key,
    full_name varchar, full_name_source varchar, given_name varchar, given_name_source varchar,
    family_name varchar, family_name_source varchar, gender varchar, gender_source varchar,
    birth_date date, birth_date_source varchar, phone varchar, phone_source varchar,
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

create table if not exists customer_xref (
    source_system varchar not null,
    source_record_id varchar not null,
    master_id varchar not null,
    match_probability double,          -- strongest link that put the record in its master; null when alone
    matched_at timestamp not null      -- when the record got this master id
);

create table if not exists match_review (
    unique_id_l varchar not null,
    unique_id_r varchar not null,
    master_id_l varchar,
    master_id_r varchar,
    match_probability double not null,
    evidence json                      -- per comparison: the level that applied and both values
);

create table if not exists master_id_history (
    old_id varchar not null,           -- merge: the retired id; split: the id the records left
    new_id varchar not null,           -- merge: the surviving id; split: the id they now have
    change varchar not null,           -- merge | split
    reason varchar not null,
    changed_at timestamp not null
);

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
