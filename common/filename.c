/* filename.c: upload filename sanitiser; its PCRE2 patterns are compiled once per process. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filename.h"
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Each step of API.md §4.1 step (3), applied in order to the stem. */
static const struct {
	const char *pattern;
	const char *repl;
} steps[] = {
	{ "[^A-Za-z0-9._-]", "_" },   /* byte-wise: a multi-byte character becomes a run of '_' */
	{ "_{2,}", "_" },
	{ "\\.{2,}", "." },
	{ "^[._-]+|[._-]+$", "" },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static pcre2_code *compiled[NSTEPS];

static int compile_once(void)
{
	size_t i;
	int err;
	PCRE2_SIZE off;

	for (i = 0; i < NSTEPS; i++) {
		if (compiled[i])
			continue;
		/* No PCRE2_UTF: the class works on bytes, so invalid UTF-8 is sanitised too. */
		compiled[i] = pcre2_compile((PCRE2_SPTR)steps[i].pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
		if (compiled[i] == NULL)
			return -1;
	}
	return 0;
}

/* Apply steps[from..] to s (NUL-terminated, len bytes) in place; s holds cap bytes. */
static int run_steps(char *s, size_t cap, size_t from)
{
	char tmp[1024];
	size_t i;

	for (i = from; i < NSTEPS; i++) {
		PCRE2_SIZE outlen = sizeof(tmp);
		int rc = pcre2_substitute(compiled[i], (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0,
		    PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL, (PCRE2_SPTR)steps[i].repl, PCRE2_ZERO_TERMINATED,
		    (PCRE2_UCHAR *)tmp, &outlen);
		if (rc < 0 || outlen >= cap)
			return -1;
		memcpy(s, tmp, outlen + 1);
	}
	return 0;
}

/* API.md §4.1 step (5): each allowed type's extensions, the first one the default. */
static const struct {
	const char *type;
	const char *ext[3];
} type_exts[] = {
	{ "image/jpeg", { "jpg", "jpeg", NULL } },
	{ "image/png", { "png", NULL } },
	{ "image/webp", { "webp", NULL } },
	{ "image/gif", { "gif", NULL } },
	{ "image/avif", { "avif", NULL } },
	{ "application/zip", { "zip", NULL } },
	{ "application/pdf", { "pdf", NULL } },
	{ "video/mp4", { "mp4", NULL } },
	{ "audio/mpeg", { "mp3", NULL } },
};

static const char *const *exts_of(const char *ctype)
{
	size_t i;

	for (i = 0; ctype && i < sizeof(type_exts) / sizeof(type_exts[0]); i++)
		if (strcasecmp(type_exts[i].type, ctype) == 0)
			return type_exts[i].ext;
	return NULL;
}

/* Step (5): an extension outside the type's list joins the stem as "_ext" (the stem never
 * ends in '_', '.' or '-' after step 3, so no run appears) and the type's first one is used. */
static int force_ext(char *stem, size_t cap, char *ext, const char *const *want)
{
	size_t i, slen = strlen(stem), elen = strlen(ext);

	for (i = 0; want[i]; i++)
		if (strcmp(ext, want[i]) == 0)
			return 0;
	if (elen) {
		if (slen + 1 + elen >= cap)
			return -1;
		stem[slen] = '_';
		memcpy(stem + slen + 1, ext, elen + 1);
	}
	strcpy(ext, want[0]);
	return 0;
}

int safe_filename_typed(const char *name, size_t len, const char *ctype, char *out)
{
	char stem[1024], ext[SAFE_EXT_MAX + 1];
	const char *base = name, *dot = NULL, *const *want = exts_of(ctype);
	size_t i, blen, slen, elen = 0, keep;

	if (ctype && want == NULL)
		return -1;
	if (compile_once() != 0)
		return -1;
	/* (1) the part after the last '/' or '\' */
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			base = name + i + 1;
	blen = len - (size_t)(base - name);
	/* (2) the extension follows the last '.', unless that '.' is the first character */
	for (i = blen; i-- > 1;)
		if (base[i] == '.') {
			dot = base + i;
			break;
		}
	slen = dot ? (size_t)(dot - base) : blen;
	/* (4) extension: [A-Za-z0-9] only, at most 16, lowercased */
	for (i = dot ? 1 : blen; dot && i < blen - slen && elen < SAFE_EXT_MAX; i++) {
		unsigned char c = (unsigned char)dot[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			ext[elen++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			ext[elen++] = (char)(c - 'A' + 'a');
	}
	ext[elen] = '\0';
	/* (3) the stem; NUL bytes are replaced first so PCRE2 sees the whole of it */
	if (slen > 300)
		slen = 300;     /* only the first 200 survive step (6) anyway */
	for (i = 0; i < slen; i++)
		stem[i] = base[i] ? base[i] : '_';
	stem[slen] = '\0';
	if (run_steps(stem, sizeof(stem), 0) != 0)
		return -1;
	if (stem[0] == '\0')
		memcpy(stem, "file", 5);
	if (want && force_ext(stem, sizeof(stem), ext, want) != 0)
		return -1;
	elen = strlen(ext);
	/* (6) stem.ext at most 200; a cut may expose a trailing '.', '_' or '-': strip again */
	keep = SAFE_FILENAME_MAX - (elen ? elen + 1 : 0);
	if (strlen(stem) > keep) {
		stem[keep] = '\0';
		if (run_steps(stem, sizeof(stem), NSTEPS - 1) != 0)
			return -1;
		if (stem[0] == '\0')
			memcpy(stem, "file", 5);
	}
	slen = strlen(stem);
	memcpy(out, stem, slen);
	if (elen) {
		out[slen] = '.';
		memcpy(out + slen + 1, ext, elen + 1);
	} else {
		out[slen] = '\0';
	}
	return 0;
}

int safe_filename(const char *name, size_t len, char *out)
{
	return safe_filename_typed(name, len, NULL, out);
}

const char *safe_filename_ext(const char *s)
{
	const char *dot = strrchr(s, '.');
	return dot ? dot + 1 : "";
}
