-- 007_bulk: bulk product import tasks (API.md §7) and their per-row errors; claimed and
-- processed by `files-cron run-imports` (§8).
CREATE TABLE bulk_upload_tasks (
    id                  uuid PRIMARY KEY,
    owner_id            uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename            varchar(255) NOT NULL,
    -- bulk-uploads/{id}/{safe filename}: private, never served, deleted when the task ends
    storage_key         text NOT NULL,
    file_url            text,
    status              text NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')),
    caption_products    boolean NOT NULL DEFAULT true,
    shooting_id         uuid REFERENCES shootings(id) ON DELETE SET NULL,
    skip_existing_skus  boolean NOT NULL DEFAULT false,
    total_products      integer NOT NULL DEFAULT 0,
    processed_products  integer NOT NULL DEFAULT 0,
    successful_products integer NOT NULL DEFAULT 0,
    failed_products     integer NOT NULL DEFAULT 0,
    skipped_products    integer NOT NULL DEFAULT 0,
    -- keyed by SKU, or "row:N" for a row without one and every repeat of a SKU
    results             jsonb NOT NULL DEFAULT '{}'::jsonb,
    error_message       text,
    -- the worker's claim: a fresh id per claim, so a worker whose task was taken over
    -- (heartbeat older than 120 s) can no longer write to it
    claim_id            uuid,
    heartbeat_at        timestamptz,
    attempts            integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    CHECK (processed_products = successful_products + failed_products + skipped_products)
);
-- GET .../bulk-upload/: the caller's tasks, newest first
CREATE INDEX bulk_tasks_owner_idx ON bulk_upload_tasks (owner_id, created_at DESC);
-- the workers' claim: only unfinished tasks
CREATE INDEX bulk_tasks_open_idx ON bulk_upload_tasks (created_at)
    WHERE status IN ('PENDING', 'PROCESSING');

-- GET .../bulk-upload/{id}/errors: row is the CSV line of the record (header row 1), null for
-- the archive as a whole; field a CSV column, 'images', 'archive' or null.
CREATE TABLE bulk_upload_errors (
    id         bigserial PRIMARY KEY,
    task_id    uuid NOT NULL REFERENCES bulk_upload_tasks(id) ON DELETE CASCADE,
    sku        text,
    "row"      integer,
    field      text,
    message    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bulk_errors_task_idx ON bulk_upload_errors (task_id, id);
