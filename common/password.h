/* password.h: bcrypt password hashes through libcrypt, compatible with passlib's $2b$ hashes. */
#ifndef FILES_PASSWORD_H
#define FILES_PASSWORD_H

/* 1 if password matches the $2b$/$2a$/$2y$ hash, 0 on no match or any error. Only the first
 * 72 bytes of password count (bcrypt's rule, as passlib applies it). */
int password_verify(const char *password, const char *hash);
/* A new $2b$ cost-12 hash of password with a fresh OS-random salt: malloc'd (caller frees), NULL on error. */
char *password_hash(const char *password);
/* A fixed valid $2b$ cost-12 hash that no known password matches (static, never NULL): verify
 * against it for unknown emails so that login time does not reveal which emails exist. */
const char *password_dummy_hash(void);

#endif
