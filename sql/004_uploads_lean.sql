-- 004_uploads_lean: every presign inserts an uploads row, so it keeps only the indexes a
-- lookup uses. A key holds its row's id (temp/<id hex>_<time>_<name>) and a local upload
-- token names its key, so both find the row by primary key (the nonce is compared, not
-- searched). The temp/ sweeper scans the table of live uploads, which it keeps short.
ALTER TABLE uploads DROP CONSTRAINT uploads_key_key;
ALTER TABLE uploads DROP CONSTRAINT uploads_nonce_key;
DROP INDEX uploads_expires_idx;
