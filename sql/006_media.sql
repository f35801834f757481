-- 006_media: media resources and their attachments, products and shootings, the ingested mark
-- on uploads (API.md §6). The ingest order (common/media.h) keeps every committed 'ready' row
-- pointing at an existing object; 'pending' rows and media/ objects without a row are the
-- sweeper's (files-cron sweep-temp, §8).

-- One stored file, deduplicated across all tenants: the unique constraint on (sha256, size)
-- decides which of two concurrent ingests of the same bytes creates the row.
CREATE TABLE media_resources (
    id           uuid PRIMARY KEY,
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    size         bigint NOT NULL CHECK (size >= 0),
    content_type text NOT NULL,
    ext          text NOT NULL CHECK (ext IN ('jpg', 'png', 'webp', 'gif', 'avif', 'pdf', 'zip', 'mp4', 'mp3')),
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ready')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT media_resources_sha256_size_key UNIQUE (sha256, size)
);
-- The sweeper's look-up of stale pending rows.
CREATE INDEX media_resources_pending_idx ON media_resources (created_at) WHERE state = 'pending';

CREATE TABLE shootings (
    id         uuid PRIMARY KEY,
    name       varchar(255) NOT NULL,
    owner_id   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shootings_owner_idx ON shootings (owner_id);

CREATE TABLE products (
    id              uuid PRIMARY KEY,
    sku             varchar(255) NOT NULL,
    name            varchar(255) NOT NULL,
    description     text,
    attributes      jsonb,
    owner_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id uuid REFERENCES organizations(id) ON DELETE SET NULL,
    shooting_id     uuid REFERENCES shootings(id) ON DELETE SET NULL,
    cover_image_url text,
    -- the canonical URLs of the additional images, in the given order (a JSON array of strings)
    image_urls      jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- plain text cut to 2,000 characters by whoever stores it (bulk import, caption-pending)
    caption         text,
    caption_status  text CHECK (caption_status IN ('pending', 'done', 'failed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- SKU unique per owner (API.md §6: 400)
    CONSTRAINT products_owner_sku_key UNIQUE (owner_id, sku)
);
CREATE INDEX products_org_idx ON products (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX products_shooting_idx ON products (shooting_id) WHERE shooting_id IS NOT NULL;
CREATE INDEX products_caption_pending_idx ON products (created_at) WHERE caption_status = 'pending';

-- A resource used by an entity. ON DELETE RESTRICT: a resource with an attachment is never
-- removed (the sweeper deletes only unattached pending rows).
CREATE TABLE media_resource_attachments (
    id          uuid PRIMARY KEY,
    resource_id uuid NOT NULL REFERENCES media_resources(id) ON DELETE RESTRICT,
    entity_type text NOT NULL CHECK (entity_type ~ '^[a-z_]{1,32}$'),
    entity_id   uuid NOT NULL,
    role        text NOT NULL CHECK (role IN ('cover', 'gallery')),
    position    integer NOT NULL CHECK (position >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT media_attachments_entity_pos_key UNIQUE (entity_type, entity_id, role, position)
);
CREATE INDEX media_attachments_resource_idx ON media_resource_attachments (resource_id);

-- Set in the entity's transaction when the upload's temp object became a resource: a second
-- ingest of the same key is 400.
ALTER TABLE uploads ADD COLUMN ingested_at timestamptz;
