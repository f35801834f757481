/* password.c: bcrypt verification and hashing over libcrypt's crypt_rn (see password.h). */
#include "password.h"

#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>

#define BCRYPT_COST      12
#define BCRYPT_HASH_LEN  60     /* "$2b$" + "NN$" + 22 salt + 31 hash chars */
#define BCRYPT_KEY_MAX   72     /* bcrypt never reads past this many password bytes */

/* Made once with python3-bcrypt from a random password that was then thrown away. */
static const char dummy_hash[] = "$2b$12$kaXog0lkbEnAmzagWGpF3uIZfX6BoHArzCZO4/tMsLSOovlJFZJIm";

const char *password_dummy_hash(void)
{
	return dummy_hash;
}

/*
 * Copy at most 72 bytes: bcrypt ignores the rest anyway, and libcrypt refuses phrases
 * over 512 bytes, where passlib would truncate and match.
 */
static void key_prefix(const char *password, char key[BCRYPT_KEY_MAX + 1])
{
	size_t n = strnlen(password, BCRYPT_KEY_MAX);

	memcpy(key, password, n);
	key[n] = '\0';
}

/* Wipe the key copy and libcrypt's scratch (it held the key), then free the scratch. */
static void scrub(char key[BCRYPT_KEY_MAX + 1], struct crypt_data *cd)
{
	OPENSSL_cleanse(key, BCRYPT_KEY_MAX + 1);
	if (cd != NULL) {
		OPENSSL_cleanse(cd, sizeof(*cd));
		free(cd);
	}
}

static int bcrypt_prefix_ok(const char *hash)
{
	return strncmp(hash, "$2b$", 4) == 0 || strncmp(hash, "$2a$", 4) == 0 ||
	       strncmp(hash, "$2y$", 4) == 0;
}

int password_verify(const char *password, const char *hash)
{
	struct crypt_data *cd = NULL;
	char key[BCRYPT_KEY_MAX + 1];
	const char *out;
	int ok = 0, ours;

	memset(key, 0, sizeof(key));
	if (password == NULL || hash == NULL)
		goto out;
	/* $2x$ (the old 8-bit bug mode) and other schemes are not ours; they still cost one
	 * bcrypt run against the dummy, so a row with a foreign hash answers in the same time. */
	ours = strnlen(hash, BCRYPT_HASH_LEN + 1) == BCRYPT_HASH_LEN && bcrypt_prefix_ok(hash);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		goto out;
	key_prefix(password, key);
	out = ours ? crypt_rn(key, hash, cd, (int)sizeof(*cd)) : NULL;
	/* crypt_rn gives NULL on error; a leading '*' is libcrypt's failure token (a bad cost
	 * or salt fails at once: the dummy run keeps the time). */
	if (out == NULL || out[0] == '*') {
		crypt_rn(key, dummy_hash, cd, (int)sizeof(*cd));
		goto out;
	}
	if (strnlen(out, BCRYPT_HASH_LEN + 1) != BCRYPT_HASH_LEN)
		goto out;
	ok = CRYPTO_memcmp(out, hash, BCRYPT_HASH_LEN) == 0;
out:
	scrub(key, cd);
	return ok;
}

char *password_hash(const char *password)
{
	struct crypt_data *cd = NULL;
	char key[BCRYPT_KEY_MAX + 1];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *out;
	char *ret = NULL;

	memset(key, 0, sizeof(key));
	if (password == NULL)
		goto out;
	/* NULL rbytes: libcrypt draws the salt from the OS random source itself. */
	if (crypt_gensalt_rn("$2b$", BCRYPT_COST, NULL, 0, salt, (int)sizeof(salt)) == NULL)
		goto out;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		goto out;
	key_prefix(password, key);
	out = crypt_rn(key, salt, cd, (int)sizeof(*cd));
	if (out == NULL || out[0] == '*' || strnlen(out, BCRYPT_HASH_LEN + 1) != BCRYPT_HASH_LEN ||
	    strncmp(out, "$2b$", 4) != 0)
		goto out;
	ret = strdup(out);
out:
	scrub(key, cd);
	return ret;
}
