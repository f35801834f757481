-- 003_uploads: every issued upload (API.md §4.1), so ingest can refuse a temp file the caller was never issued,
-- and the LoRA uploads of the deprecated admin endpoint (§4.2).
CREATE TABLE uploads (
    id            uuid PRIMARY KEY,
    owner_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key           text NOT NULL UNIQUE,
    folder        varchar(255),
    content_type  text NOT NULL,
    declared_size bigint CHECK (declared_size >= 0),
    expires_at    timestamptz NOT NULL,
    -- local backend: the token's nonce; its state makes the token single-use
    nonce         text UNIQUE,
    state         text NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'uploading', 'uploaded')),
    size          bigint,
    etag          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    uploaded_at   timestamptz
);
CREATE INDEX uploads_owner_idx ON uploads (owner_id);
CREATE INDEX uploads_expires_idx ON uploads (expires_at);

CREATE TABLE lora_uploads (
    id           uuid PRIMARY KEY,
    uploader_id  uuid REFERENCES users(id) ON DELETE SET NULL,
    key          text NOT NULL UNIQUE,
    size         bigint NOT NULL,
    entity_type  text,
    lora_trigger varchar(255),
    created_at   timestamptz NOT NULL DEFAULT now()
);
