/* upkey.h: the temp key of an issued upload, temp/{id hex}_{unix time}_{safe name} (API.md §4.1). */
#ifndef FILES_UPKEY_H
#define FILES_UPKEY_H
#include "uuid.h"

/* The upload record's id in key, as a UUID: 0, or -1 when key is not one this service issues. */
int upkey_id(const char *key, char id[UUID_STR_LEN + 1]);
/* The unix time a key was issued at, from the key: 0 with *t, or -1. */
int upkey_issued(const char *key, long long *t);
/*
 * For a reader that did not find key's upload record: 1 after a short sleep when key was
 * issued so recently that its record may still be queued in uploads.fcgi (uprecord.h;
 * attempt counts from 0), else 0 at once.
 */
int upkey_wait(const char *key, int attempt);

#endif
