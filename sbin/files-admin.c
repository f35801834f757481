/* files-admin: operator commands: migrations, users, organizations, tokens (API.md §2). */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "fileread.h"
#include "log.h"
#include "password.h"
#include "version.h"
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_FAIL 1
#define EX_USAGE 2
#define SQL_FILE_MAX (16 * 1024 * 1024 - 1)     /* bytes of one migration file */

static const char *prog = "files-admin";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct opts {
	const char *email, *password, *full_name, *name, *org, *role, *sql_dir;
	int password_stdin, superuser, yes, no, help;
};

static const char *const usage_text[] = {
	"usage: files-admin COMMAND [options]    (configuration from the environment or FILES_CONFIG)",
	"",
	"  migrate [--sql-dir DIR]                   apply sql/NNN_*.sql not yet applied",
	"  create-user --email E (--password P | --password-stdin) [--superuser] [--full-name N]",
	"                                            create a user; prints its id",
	"  set-active --email E (--yes | --no)       activate or deactivate a user",
	"  delete-user --email E                     delete a user and what they own",
	"  create-org --name N                       create an organization; prints its id",
	"  add-member --org ID --email E [--role admin|member]   add (or re-role) a member",
	"  token --email E                           print a fresh access token for a user",
	"",
	"Every command takes --help; files-admin --version prints the version.",
	NULL,
};

static void usage(FILE *f)
{
	size_t i;
	for (i = 0; usage_text[i]; i++)
		fprintf(f, "%s\n", usage_text[i]);
}

static int run_sql(const char *sql, int n, const char *const *params, PGresult **out)
{
	enum herr e = db_exec(out, sql, n, params);

	if (e == HE_DB_UNAVAILABLE) {
		fail("%s", "database unreachable (check DATABASE_URL)");
		return -1;
	}
	return e == HE_OK ? 0 : -2;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_migration_name(const char *n)
{
	size_t i, len = strlen(n);

	if (len < 9 || strcmp(n + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 3; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	if (n[3] != '_')
		return 0;
	for (i = 4; i < len - 4; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

static int exec_plain(PGconn *c, const char *sql, const char *what)
{
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "%s: %s failed: %s", prog, what, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int cmd_migrate(const struct opts *o)
{
	const char *dir = o->sql_dir ? o->sql_dir : FILES_SQLDIR;
	char **names = NULL, path[4096];
	size_t n = 0, i, applied = 0;
	struct dirent *de;
	PGconn *c = NULL;
	DIR *d;
	int rc = EX_FAIL, nomem = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: cannot open the migrations directory %s: %s\n", prog, dir, strerror(errno));
		return EX_FAIL;
	}
	while ((de = readdir(d)) != NULL) {
		char **nn;
		if (!is_migration_name(de->d_name))
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL) {
			nomem = 1;
			break;
		}
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			nomem = 1;
			break;
		}
		n++;
	}
	closedir(d);
	if (nomem) {
		/* applying part of the list could skip one that an applied later one needs */
		fail("%s", "out of memory while listing the migrations; nothing applied");
		goto out;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	if ((c = db_conn()) == NULL) {
		fail("%s", "database unreachable (check DATABASE_URL)");
		goto out;
	}
	/* One migrator at a time across hosts. */
	if (exec_plain(c, "SET client_min_messages = warning", "SET") != 0 ||
	    exec_plain(c, "SELECT pg_advisory_lock(727274001)", "lock") != 0 ||
	    exec_plain(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", "create schema_migrations") != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const char *p[1] = { names[i] };
		PGresult *res = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, p, NULL, NULL, 0);
		int done = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
		char *sql;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "%s: %s", prog, PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
		if (done)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((sql = file_read_all(path, SQL_FILE_MAX, NULL)) == NULL) {
			fail("cannot read %s", path);
			goto out;
		}
		if (exec_plain(c, "BEGIN", "BEGIN") != 0 || exec_plain(c, sql, names[i]) != 0) {
			free(sql);
			exec_plain(c, "ROLLBACK", "ROLLBACK");
			goto out;
		}
		free(sql);
		res = PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "%s: recording %s failed: %s", prog, names[i], PQresultErrorMessage(res));
			PQclear(res);
			exec_plain(c, "ROLLBACK", "ROLLBACK");
			goto out;
		}
		PQclear(res);
		/* a COMMIT of a failed transaction succeeds as a ROLLBACK: check what it did */
		res = PQexec(c, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
			fprintf(stderr, "%s: %s was not committed: %s\n", prog, names[i],
			    PQresultStatus(res) == PGRES_COMMAND_OK ? PQcmdStatus(res) : PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
		printf("applied %s\n", names[i]);
		applied++;
	}
	printf("migrations up to date (%zu applied now, %zu known)\n", applied, n);
	rc = 0;
out:
	if (c)
		exec_plain(c, "SELECT pg_advisory_unlock(727274001)", "unlock");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static char *read_password_stdin(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, stdin);

	if (len < 0) {
		free(line);
		return NULL;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return line;
}

static int valid_email(const char *e)
{
	const char *at = strchr(e, '@');
	size_t i;

	if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') || strlen(e) > LIM_EMAIL)
		return 0;
	for (i = 0; e[i]; i++)
		if ((unsigned char)e[i] <= ' ')
			return 0;
	return 1;
}

static int cmd_create_user(const struct opts *o)
{
	char id[UUID_STR_LEN + 1], *pw = NULL, *hash = NULL;
	const char *p[5];
	PGresult *res = NULL;
	int rc = EX_FAIL, e;

	if (o->email == NULL || (o->password == NULL && !o->password_stdin)) {
		fail("%s", "create-user needs --email and --password or --password-stdin");
		return EX_USAGE;
	}
	if (!valid_email(o->email)) {
		fail("not a valid email address: %s", o->email);
		return EX_USAGE;
	}
	pw = o->password_stdin ? read_password_stdin() : strdup(o->password);
	if (pw == NULL || *pw == '\0' || strlen(pw) > LIM_PASSWORD) {
		fail("%s", "the password is empty, unreadable or too long");
		goto out;
	}
	if ((hash = password_hash(pw)) == NULL || uuid_v4(id) != 0) {
		fail("%s", "could not hash the password");
		goto out;
	}
	p[0] = id; p[1] = o->email; p[2] = hash; p[3] = o->full_name; p[4] = o->superuser ? "t" : "f";
	e = run_sql("INSERT INTO users (id, email, hashed_password, full_name, is_active, is_superuser) "
	    "VALUES ($1, $2, $3, $4, true, $5)", 5, p, &res);
	if (e == -2 && db_unique_violation(res))
		fail("a user with email %s already exists", o->email);
	else if (e == -2)
		fail("could not create the user: %s", PQresultErrorMessage(res));
	else if (e == 0) {
		printf("%s\n", id);
		rc = 0;
	}
out:
	PQclear(res);
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(hash);
	return rc;
}

/* Run a statement that names a user by email; report "no user" when it touched nothing. */
static int by_email(const char *sql, int n, const char *const *p, const char *email)
{
	PGresult *res = NULL;
	int e = run_sql(sql, n, p, &res), rc = EX_FAIL;

	if (e == -2)
		fail("database error: %s", PQresultErrorMessage(res));
	else if (e == 0 && strcmp(PQcmdTuples(res), "0") == 0)
		fail("no user with email %s", email);
	else if (e == 0)
		rc = 0;
	PQclear(res);
	return rc;
}

static int cmd_set_active(const struct opts *o)
{
	const char *p[2];

	if (o->email == NULL || o->yes == o->no) {
		fail("%s", "set-active needs --email and one of --yes / --no");
		return EX_USAGE;
	}
	p[0] = o->email;
	p[1] = o->yes ? "t" : "f";
	return by_email("UPDATE users SET is_active = $2 WHERE lower(email) = lower($1)", 2, p, o->email);
}

static int cmd_delete_user(const struct opts *o)
{
	const char *p[1] = { o->email };

	if (o->email == NULL) {
		fail("%s", "delete-user needs --email");
		return EX_USAGE;
	}
	return by_email("DELETE FROM users WHERE lower(email) = lower($1)", 1, p, o->email);
}

static int cmd_create_org(const struct opts *o)
{
	char id[UUID_STR_LEN + 1];
	const char *p[2] = { id, o->name };
	PGresult *res = NULL;
	int e, rc = EX_FAIL;

	if (o->name == NULL || *o->name == '\0' || strlen(o->name) > LIM_NAME) {
		fail("%s", "create-org needs --name (1..255 characters)");
		return EX_USAGE;
	}
	if (uuid_v4(id) != 0)
		return EX_FAIL;
	e = run_sql("INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, p, &res);
	if (e == -2)
		fail("could not create the organization: %s", PQresultErrorMessage(res));
	else if (e == 0) {
		printf("%s\n", id);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* The user with that email, or NULL after saying why there is none. */
static struct user *user_or_fail(const char *email)
{
	struct user *u = NULL;
	enum herr he = user_load_by_email(email, &u);

	if (he == HE_NOT_FOUND) {
		fail("no user with email %s", email);
		return NULL;
	}
	if (he != HE_OK) {
		fail("%s", "database unreachable (check DATABASE_URL)");
		return NULL;
	}
	return u;
}

static int cmd_add_member(const struct opts *o)
{
	char oid[UUID_STR_LEN + 1], why[200];
	const char *role = o->role ? o->role : "member";
	struct user *u = NULL;
	PGresult *res = NULL;
	const char *p[3];
	int e, rc = EX_FAIL;

	if (o->org == NULL || o->email == NULL) {
		fail("%s", "add-member needs --org and --email");
		return EX_USAGE;
	}
	if (strcmp(role, "admin") != 0 && strcmp(role, "member") != 0) {
		fail("unknown role %s (admin or member)", role);
		return EX_USAGE;
	}
	if (uuid_parse(o->org, strlen(o->org), oid, why, sizeof(why)) != 0) {
		fail("--org is not an organization id: %s", o->org);
		return EX_USAGE;
	}
	if ((u = user_or_fail(o->email)) == NULL)
		return EX_FAIL;
	p[0] = oid; p[1] = u->id; p[2] = role;
	e = run_sql("INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, $3) "
	    "ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role", 3, p, &res);
	if (e == -2 && strcmp(db_sqlstate(res), "23503") == 0)
		fail("no organization with id %s", oid);
	else if (e == -2)
		fail("could not add the member: %s", PQresultErrorMessage(res));
	else if (e == 0)
		rc = 0;
	PQclear(res);
	user_free(u);
	return rc;
}

static int cmd_token(const struct opts *o)
{
	struct user *u = NULL;
	char *tok;

	if (o->email == NULL) {
		fail("%s", "token needs --email");
		return EX_USAGE;
	}
	if ((u = user_or_fail(o->email)) == NULL)
		return EX_FAIL;
	if (!u->is_active)
		fprintf(stderr, "%s: warning: %s is inactive; the API will refuse this token\n", prog, o->email);
	tok = auth_issue_token(u->id);
	user_free(u);
	if (tok == NULL)
		return EX_FAIL;
	printf("%s\n", tok);
	free(tok);
	return 0;
}

struct command {
	const char *name;
	int (*fn)(const struct opts *);
	const char *help;
};

static const struct command commands[] = {
	{ "migrate", cmd_migrate, "files-admin migrate [--sql-dir DIR]\n  Apply the numbered migrations not yet recorded in schema_migrations (default DIR: " FILES_SQLDIR ")." },
	{ "create-user", cmd_create_user, "files-admin create-user --email E (--password P | --password-stdin) [--superuser] [--full-name N]\n  Create an active user and print its id. --password-stdin reads one line." },
	{ "set-active", cmd_set_active, "files-admin set-active --email E (--yes | --no)\n  Activate or deactivate a user." },
	{ "delete-user", cmd_delete_user, "files-admin delete-user --email E\n  Delete a user, their memberships and configurations." },
	{ "create-org", cmd_create_org, "files-admin create-org --name N\n  Create an organization and print its id." },
	{ "add-member", cmd_add_member, "files-admin add-member --org ID --email E [--role admin|member]\n  Add a user to an organization (or change their role)." },
	{ "token", cmd_token, "files-admin token --email E\n  Print a fresh access token for the user." },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "superuser", no_argument, NULL, 's' },
		{ "full-name", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "org", required_argument, NULL, 'o' },
		{ "role", required_argument, NULL, 'r' },
		{ "sql-dir", required_argument, NULL, 'd' },
		{ "yes", no_argument, NULL, 'y' },
		{ "no", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	const struct command *cmd = NULL;
	size_t i;
	int ch, rc;

	if (files_version_requested(argc, argv))
		return 0;
	log_set_program("files-admin");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fail("unknown command %s (see files-admin --help)", argv[1]);
		return EX_USAGE;
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': o.email = optarg; break;
		case 'p':
			/* argv is readable by every local user (ps, /proc/PID/cmdline) */
			fprintf(stderr, "%s: warning: --password shows the password to other users of this "
			    "machine (ps, /proc); use --password-stdin\n", prog);
			o.password = optarg;
			break;
		case 'P': o.password_stdin = 1; break;
		case 's': o.superuser = 1; break;
		case 'f': o.full_name = optarg; break;
		case 'n': o.name = optarg; break;
		case 'o': o.org = optarg; break;
		case 'r': o.role = optarg; break;
		case 'd': o.sql_dir = optarg; break;
		case 'y': o.yes = 1; break;
		case 'N': o.no = 1; break;
		case 'h': o.help = 1; break;
		default:
			fprintf(stderr, "%s\n", cmd->help);
			return EX_USAGE;
		}
	}
	if (o.help) {
		printf("%s\n", cmd->help);
		return 0;
	}
	if (optind < argc) {
		fail("unexpected argument %s", argv[optind]);
		return EX_USAGE;
	}
	config_init_or_die();
	rc = cmd->fn(&o);
	db_close();
	return rc;
}
