-- 009_uploads_owner: the presign's INSERT no longer takes a lock on its owner's users row.
-- The foreign key made every INSERT INTO uploads check the owner with SELECT ... FOR KEY
-- SHARE, which writes a lock into the users row; concurrent presigns by one user (a client
-- uploading a batch in parallel) then share that row through a MultiXact each time
-- (pgbench, 4 clients, the presign statement: about 1.1x to 1.6x the rate without it).
-- What the key gave is kept otherwise:
-- - the row is inserted only by the presign statement, which reads the owner in the same
--   statement and inserts nothing for a missing or inactive one;
-- - deleting a user deletes their uploads (the trigger below, as ON DELETE CASCADE did);
-- - a presign racing with its owner's deletion can leave a row whose owner is gone: nobody
--   can present it (ingest wants the caller to be the owner), and files-cron sweep-temp
--   deletes it once expired.
ALTER TABLE uploads DROP CONSTRAINT uploads_owner_id_fkey;

CREATE FUNCTION uploads_owner_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM uploads WHERE owner_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_delete_uploads AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION uploads_owner_deleted();
