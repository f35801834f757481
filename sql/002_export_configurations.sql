-- 002_export_configurations: per-user and per-organization export settings (API.md §3).
CREATE TABLE export_configurations (
    id               uuid PRIMARY KEY,
    -- personal config: its owner; organization config: the member who created it
    user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id  uuid REFERENCES organizations(id) ON DELETE CASCADE,
    image_format     text NOT NULL DEFAULT 'webp'
                     CHECK (image_format IN ('webp', 'jpeg', 'png', 'avif')),
    metadata_adapter text NOT NULL DEFAULT 'default'
                     CHECK (metadata_adapter IN ('default', 'ovs')),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- One personal config per user, one config per organization: the database decides races.
CREATE UNIQUE INDEX export_configurations_personal_key
    ON export_configurations (user_id) WHERE organization_id IS NULL;
CREATE UNIQUE INDEX export_configurations_org_key
    ON export_configurations (organization_id) WHERE organization_id IS NOT NULL;
