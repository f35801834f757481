-- 005_upload_lease: a local upload's claim is a lease (issue 9 item 4). The claimant's random
-- claim id fences its later writes; a claim whose claimed_until has passed (its process died
-- mid-upload) may be taken by the next PUT. Rows claimed before this migration have no
-- claimed_until and count as stale.
ALTER TABLE uploads ADD COLUMN claim text, ADD COLUMN claimed_until timestamptz;
