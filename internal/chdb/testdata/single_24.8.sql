-- 1 events
CREATE TABLE IF NOT EXISTS {db}.events (
    event_id     String,
    site_id      LowCardinality(String),
    name         LowCardinality(String),
    source       LowCardinality(String),
    known        UInt8,
    uid          String,
    aid          String,
    sid          String,
    seq          Int64,
    client_ts    DateTime('UTC'),
    received_at  DateTime('UTC'),
    event_time   DateTime('UTC'),
    event_date   Date,
    url          String,
    referrer     String,
    title        String,
    utm_source   LowCardinality(String),
    utm_medium   LowCardinality(String),
    utm_campaign LowCardinality(String),
    utm_term     String,
    utm_content  String,
    fbp          String,
    fbc          String,
    country      LowCardinality(String),
    ip           String,
    user_agent   String,
    data         String CODEC(ZSTD(3))
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (site_id, name, event_date, event_id)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
-- 2 deliveries
CREATE TABLE IF NOT EXISTS {db}.deliveries (
    delivery_id     String,
    event_id        String,
    endpoint_id     LowCardinality(String),
    site_id         LowCardinality(String),
    event_name      LowCardinality(String),
    webhook_id      String,
    attempt         UInt32,
    status_code     UInt16,
    ok              UInt8,
    latency_ms      UInt32,
    error           String,
    attempted_at    DateTime('UTC'),
    next_attempt_at DateTime('UTC'),
    test            UInt8,
    request_url     String,
    request_headers String,
    request_body    String CODEC(ZSTD(3)),
    response_body   String CODEC(ZSTD(3)),
    state           LowCardinality(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (endpoint_id, attempted_at, delivery_id, attempt)
SETTINGS index_granularity = 8192;
-- 3 deliveries_insert_dedup
ALTER TABLE {db}.deliveries MODIFY SETTING non_replicated_deduplication_window = 1000;
-- 4 events_user_id
ALTER TABLE {db}.events ADD COLUMN user_id String;
-- 5 events_consent
ALTER TABLE {db}.events ADD COLUMN consent_analytics Enum8('unknown' = 0, 'granted' = 1, 'denied' = 2) DEFAULT 'unknown';
ALTER TABLE {db}.events ADD COLUMN consent_ads Enum8('unknown' = 0, 'granted' = 1, 'denied' = 2) DEFAULT 'unknown';
ALTER TABLE {db}.events ADD COLUMN consent_functional Enum8('unknown' = 0, 'granted' = 1, 'denied' = 2) DEFAULT 'unknown';
-- 6 deliveries_match_keys
ALTER TABLE {db}.deliveries ADD COLUMN match_keys String;
-- 7 deliveries_trigger
ALTER TABLE {db}.deliveries ADD COLUMN trigger String;
-- 8 deliveries_attempt_key
CREATE TABLE IF NOT EXISTS {db}.deliveries_v8 (
    delivery_id     String,
    event_id        String,
    endpoint_id     LowCardinality(String),
    site_id         LowCardinality(String),
    event_name      LowCardinality(String),
    webhook_id      String,
    attempt         UInt32,
    status_code     UInt16,
    ok              UInt8,
    latency_ms      UInt32,
    error           String,
    attempted_at    DateTime('UTC'),
    next_attempt_at DateTime('UTC'),
    test            UInt8,
    request_url     String,
    request_headers String,
    request_body    String CODEC(ZSTD(3)),
    response_body   String CODEC(ZSTD(3)),
    state           LowCardinality(String),
    match_keys      String,
    trigger         String,
    attempted_ns    UInt64 DEFAULT toUInt64(attempted_at) * 1000000000
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (endpoint_id, attempted_at, delivery_id, attempt, trigger, attempted_ns)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
