# scripts/lib.sh: shell functions shared by scripts/run-local and scripts/run-tests
# (packages, build, private PostgreSQL, configuration files, lighttpd). Source it from bash
# with `set -euo pipefail` on; it only defines functions and variables.
#
# A "stack" is one var directory (STACK_VAR) holding everything of one running copy:
#   files.conf env        the service configuration (KEY=value, and `export KEY='value'`)
#   secret-key            SECRET_KEY, made once
#   pg/                   PostgreSQL root (data/, sock/, postgresql.log), owned by postgres;
#                         a link to a /tmp directory when postgres cannot reach STACK_VAR
#   pg-port pg-password   the cluster's port and the app role's password, chosen once
#   run/                  lighttpd pid file and FastCGI sockets
#   log/                  lighttpd-error.log (responders log there too), lighttpd-access.log
#   lighttpd/             the generated lighttpd configuration
#   storage/              STORAGE_LOCAL_ROOT (temp/, media/)
#   bin/pg-start bin/pg-stop  commands that start/stop this stack's PostgreSQL
# Two stacks never share a port, a socket or a directory.

# shellcheck shell=bash disable=SC2034 # variables used by the scripts that source this file
FILES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PG_BIN=/usr/lib/postgresql/15/bin
SYS_PYTHON=/usr/bin/python3
# The build tree stack_start takes the binaries from (fcgi-bin/*.fcgi, sbin/files-admin):
# the checkout's in-tree build, or another one (scripts/run-tests: the sanitizer build).
FILES_BIN_ROOT=$FILES_ROOT

# Debian packages the build, the stack and the tests need. Add new ones here.
FILES_PACKAGES=(
    build-essential autoconf automake libtool pkg-config
    libfcgi-dev libpq-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libzip-dev
    libpcre2-dev libcrypt-dev libcsv-dev check
    postgresql-15 lighttpd lighttpd-modules-lua curl openssl ca-certificates
    python3 python3-pytest python3-requests python3-jwt python3-bcrypt
)

# Every setting of API.md §9, in that order, then this service's own (docs/configuration.md).
FILES_CONFIG_KEYS=(
    DATABASE_URL SECRET_KEY ACCESS_TOKEN_EXPIRE_MINUTES STORAGE_BACKEND STORAGE_LOCAL_ROOT
    PUBLIC_BASE_URL R2_ENDPOINT_URL R2_ACCESS_KEY_ID R2_SECRET_ACCESS_KEY R2_BUCKET
    R2_REGION R2_ADDRESSING_STYLE R2_PUBLIC_URL CDN_URL CLOUDFLARE_IMAGE_TRANSFORMS
    MAX_UPLOAD_SIZE PRESIGN_EXPIRES_SECONDS TEMP_TTL_SECONDS BULK_MAX_UPLOAD_BYTES
    BULK_MAX_UNCOMPRESSED_BYTES CORS_ORIGINS CAPTION_SERVICE_URL
    BODY_READ_TIMEOUT_SECONDS BODY_MIN_RATE
    UPLOAD_LEASE_SECONDS PRESIGN_BATCH
)

# The settings a stack is started with (filled by the caller, completed by stack_start).
declare -gA FILES_SETTINGS=()

# State of the running stack (set by the functions below).
STACK_VAR=""          # absolute var directory
STACK_BIND=127.0.0.1
STACK_PORT=""         # HTTP port
STACK_PG_FAST=0       # 1: fsync off etc. (throw-away test clusters)
STACK_PG_SOCKET=0     # 1: DATABASE_URL over the private Unix socket (responders run as root), not TCP
STACK_PG_OWNED=0      # 1: this stack runs its own PostgreSQL
STACK_CONFIG=""       # absolute path of files.conf
STACK_ENV_FILE=""     # absolute path of env
PG_ROOT="" PG_DATA="" PG_SOCK="" PG_LOG="" PG_PORT="" PG_PASSWORD=""
PG_APP_ROLE=files PG_APP_DB=files
LT_PID="" LT_CONF="" LT_RUN="" LT_LOG=""

# ---------------------------------------------------------------------------------------
# Messages

say() { printf '%s\n' "$*" >&2; }
note() { printf '[%s] %s\n' "${FILES_SCRIPT:-sartiq-files}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${FILES_SCRIPT:-sartiq-files}" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Packages

# ensure_packages [EXTRA...]: install FILES_PACKAGES and EXTRA with apt-get where missing
# (apt-get update first, only when something is missing).
ensure_packages() {
    local pkg missing=()
    for pkg in "${FILES_PACKAGES[@]}" "$@"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages (run as root to install): ${missing[*]}"
    note "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null ||
        die "apt-get install failed: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------
# Build

# build: autoreconf when configure is missing or older than configure.ac, configure when
# there is no Makefile or the configure script or its flags changed, then make -j2.
# Flags: --enable-werror plus $FILES_CONFIGURE_FLAGS (e.g. --enable-sanitizers).
# build DIR: the same in DIR, another source tree (default: the checkout).
build() {
    (
        local flags want have
        cd "${1:-$FILES_ROOT}" || exit 1
        [[ -f configure.ac ]] || { note "error: no configure.ac in $PWD"; exit 1; }
        if [[ ! -x configure || configure.ac -nt configure ]]; then
            note "autoreconf -fi"
            autoreconf -fi || { note "error: autoreconf failed"; exit 1; }
        fi
        # shellcheck disable=SC2206 # word splitting of the extra flags is intended
        flags=(--enable-werror ${FILES_CONFIGURE_FLAGS:-})
        want=${flags[*]}
        have=""
        if [[ -x config.status ]]; then have=$(./config.status --config 2>/dev/null | tr -d "'" || true); fi
        if [[ ! -f Makefile || ! -f config.status || configure -nt config.status || "$have" != "$want" ]]; then
            note "./configure ${flags[*]}"
            ./configure -q "${flags[@]}" || { note "error: configure failed (see config.log)"; exit 1; }
        fi
        note "make -j2"
        make -j2 || { note "error: make failed"; exit 1; }
    )
}

# ---------------------------------------------------------------------------------------
# Ports and directories

# free_port: print a TCP port of 127.0.0.1 that is free now.
free_port() {
    "$SYS_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# port_is_free PORT: true when 127.0.0.1:PORT can be bound now.
port_is_free() {
    "$SYS_PYTHON" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()' "$1"
}

# stop_pids WHAT SECS PID...: TERM to every PID, wait up to SECS seconds for all, then KILL.
stop_pids() {
    local what=$1 secs=$2 pid i left
    shift 2
    (($# > 0)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    for i in $(seq 1 $((secs * 10))); do
        left=()
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
        ((${#left[@]} > 0)) || return 0
        sleep 0.1
    done
    note "$what (pid ${left[*]}) did not stop in $secs s: killing"
    kill -KILL "${left[@]}" 2>/dev/null || true
}

# private_dir PATH OWNER MAXLEN TAG: make PATH a directory that OWNER can write and whose
# real path has at most MAXLEN bytes (unix socket paths are short). When PATH itself cannot
# be that (a mode-700 parent such as /root, or a deep checkout), PATH becomes a link to a
# new directory under /tmp. An existing PATH (directory or live link) is reused.
# Sets REPLY to the real path.
private_dir() {
    local path=$1 owner=$2 maxlen=$3 tag=$4 real
    if [[ -L $path ]]; then
        real=$(readlink -f -- "$path" || true)
        if [[ -n $real && -d $real ]]; then REPLY=$real; return 0; fi
        rm -f -- "$path"      # its /tmp target is gone (reboot): make a new one
    fi
    if [[ ! -d $path ]]; then
        mkdir -p -- "$path"
        chown "$owner:" "$path"
        chmod 700 "$path"
    fi
    real=$(cd "$path" && pwd -P)
    if ((${#real} <= maxlen)) && runuser -u "$owner" -- test -w "$real" -a -x "$real" 2>/dev/null; then
        REPLY=$real
        return 0
    fi
    if [[ -n $(ls -A "$real") ]]; then
        die "$path is not usable by $owner (unreachable, or its path is longer than $maxlen bytes), and not empty"
    fi
    rmdir -- "$real"
    real=$(mktemp -d "/tmp/sartiq-files-$tag.XXXXXX")
    chown "$owner:" "$real"
    chmod 700 "$real"
    ln -s -- "$real" "$path"
    note "$path -> $real ($owner cannot use the checkout's path)"
    REPLY=$real
}

# stack_dirs: create the directories of STACK_VAR (see the top of this file).
stack_dirs() {
    [[ -n $STACK_VAR ]] || die "STACK_VAR is not set"
    mkdir -p -- "$STACK_VAR"/{log,lighttpd,tmp,bin}
    chmod 755 "$STACK_VAR"      # postgres must be able to traverse it
    private_dir "$STACK_VAR/run" root 80 run
    LT_RUN=$REPLY
    LT_LOG=$STACK_VAR/log
}

# random_hex N: N random bytes as hex.
random_hex() { openssl rand -hex "$1"; }

# file_once PATH COMMAND...: print PATH's first line; when PATH is missing or empty, fill it
# (mode 0600) with COMMAND's output first.
file_once() {
    local path=$1
    shift
    if [[ ! -s $path ]]; then
        (umask 077 && "$@" >"$path.tmp" && mv -f -- "$path.tmp" "$path")
    fi
    head -n 1 -- "$path"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL (15, run as the postgres user, private port and socket directory)

# as_postgres CMD...: run CMD as the postgres user from / (its cwd may be unreachable).
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# pg_setup: make (or reuse) the cluster of STACK_VAR/pg, pick its port (remembered in
# STACK_VAR/pg-port; a new one when the remembered one is taken) and write its settings.
pg_setup() {
    local conf
    private_dir "$STACK_VAR/pg" postgres 80 pg
    PG_ROOT=$REPLY
    PG_DATA=$PG_ROOT/data
    PG_SOCK=$PG_ROOT/sock
    PG_LOG=$PG_ROOT/postgresql.log
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        note "initdb $PG_DATA"
        rm -rf -- "$PG_DATA"
        as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
            --auth-local=peer --auth-host=scram-sha-256 >"$STACK_VAR/log/initdb.log" 2>&1 ||
            { cat "$STACK_VAR/log/initdb.log" >&2; die "initdb failed"; }
        printf '\n# sartiq-files: port, sockets and the like (rewritten by scripts/lib.sh)\ninclude_if_exists = %s\n' \
            "'sartiq.conf'" >>"$PG_DATA/postgresql.conf"
        cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# sartiq-files: the postgres superuser by peer over the private socket; everyone else by password.
local   all   postgres                   peer
local   all   all                        scram-sha-256
host    all   all        127.0.0.1/32    scram-sha-256
EOF
        chown postgres: "$PG_DATA/pg_hba.conf"
    fi
    as_postgres mkdir -p "$PG_SOCK"

    PG_PORT=$(cat "$STACK_VAR/pg-port" 2>/dev/null || true)
    if pg_is_running; then
        PG_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid")    # the port it really listens on
    else
        if [[ ! $PG_PORT =~ ^[0-9]+$ ]] || ! port_is_free "$PG_PORT"; then
            [[ -n $PG_PORT ]] && note "PostgreSQL port $PG_PORT is taken; picking another"
            PG_PORT=$(free_port)
        fi
    fi
    [[ $PG_PORT =~ ^[0-9]+$ ]] || die "no PostgreSQL port"
    printf '%s\n' "$PG_PORT" >"$STACK_VAR/pg-port"

    conf="port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
unix_socket_permissions = 0700
max_connections = 100
timezone = 'UTC'
log_timezone = 'UTC'
"
    if [[ $STACK_PG_FAST == 1 ]]; then
        # fsync off: no disk in the figures. synchronous_commit stays on, the commit path of a
        # production cluster (the backend writes its own WAL; off would wake the WAL writer).
        conf+="fsync = off
full_page_writes = off
"
    fi
    printf '%s' "$conf" | as_postgres tee "$PG_DATA/sartiq.conf" >/dev/null
    pg_write_control_scripts
}

pg_is_running() {
    [[ -n $PG_DATA && -f $PG_DATA/postmaster.pid ]] &&
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# pg_write_control_scripts: STACK_VAR/bin/pg-start and pg-stop, each one command that the
# tests (FILES_PG_START / FILES_PG_STOP) and operators can run as root.
pg_write_control_scripts() {
    local q_ctl q_data q_log
    q_ctl=$(printf '%q' "$PG_BIN/pg_ctl")
    q_data=$(printf '%q' "$PG_DATA")
    q_log=$(printf '%q' "$PG_LOG")
    cat >"$STACK_VAR/bin/pg-start" <<EOF
#!/bin/sh
# Start this stack's PostgreSQL (generated by scripts/lib.sh).
cd / && exec runuser -u postgres -- $q_ctl -D $q_data -l $q_log -w -t 60 start >/dev/null
EOF
    cat >"$STACK_VAR/bin/pg-stop" <<EOF
#!/bin/sh
# Stop this stack's PostgreSQL (generated by scripts/lib.sh).
cd / && exec runuser -u postgres -- $q_ctl -D $q_data -m fast -w -t 60 stop >/dev/null
EOF
    chmod 755 "$STACK_VAR/bin/pg-start" "$STACK_VAR/bin/pg-stop"
}

# pg_start: start the cluster unless it runs already; wait until it accepts connections.
pg_start() {
    if pg_is_running; then
        note "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    else
        note "starting PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DATA)"
        "$STACK_VAR/bin/pg-start" || { tail -n 30 "$PG_LOG" >&2 || true; die "PostgreSQL did not start"; }
    fi
    STACK_PG_OWNED=1
    local i
    for i in $(seq 1 100); do
        as_postgres "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" && return 0
        sleep 0.1
    done
    die "PostgreSQL does not accept connections (log: $PG_LOG)"
}

# pg_stop: stop the cluster if it runs (fast shutdown).
pg_stop() {
    if pg_is_running; then
        note "stopping PostgreSQL"
        "$STACK_VAR/bin/pg-stop" || note "PostgreSQL did not stop cleanly (log: $PG_LOG)"
    fi
}

# pg_psql ARGS...: psql as the postgres superuser over the private socket.
pg_psql() {
    as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"
}

# pg_ensure_db: role PG_APP_ROLE (password in STACK_VAR/pg-password, made once) owning
# database PG_APP_DB; sets FILES_SETTINGS[DATABASE_URL] unless the caller set it.
pg_ensure_db() {
    PG_PASSWORD=$(file_once "$STACK_VAR/pg-password" random_hex 24)
    pg_psql -d postgres >/dev/null <<EOF
\\set role '$PG_APP_ROLE'
\\set db '$PG_APP_DB'
\\set pw '$PG_PASSWORD'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'pw') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
EOF
    if [[ ! -v FILES_SETTINGS[DATABASE_URL] ]]; then
        if ((STACK_PG_SOCKET)); then
            # the socket directory sits in a mode-700 postgres directory: root only
            FILES_SETTINGS[DATABASE_URL]="postgresql://$PG_APP_ROLE:$PG_PASSWORD@/$PG_APP_DB?host=$PG_SOCK&port=$PG_PORT"
        else
            FILES_SETTINGS[DATABASE_URL]="postgresql://$PG_APP_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_APP_DB"
        fi
    fi
}

# ---------------------------------------------------------------------------------------
# Configuration (API.md §9)

# settings_take_env: copy every §9 setting present in the environment into FILES_SETTINGS
# (the caller's overrides); FILES_OVERRIDES lists their names.
FILES_OVERRIDES=()
settings_take_env() {
    local k
    for k in "${FILES_CONFIG_KEYS[@]}"; do
        if [[ -v $k ]]; then
            FILES_SETTINGS[$k]=${!k}
            FILES_OVERRIDES+=("$k")
        fi
    done
}

# settings_clear_env: unset every §9 setting and FILES_CONFIG in this shell, so programs
# started from here read the stack's files.conf only.
settings_clear_env() {
    local k
    for k in "${FILES_CONFIG_KEYS[@]}" FILES_CONFIG; do unset "$k"; done
}

# settings_default KEY VALUE: set KEY unless the caller already did.
settings_default() {
    [[ -v FILES_SETTINGS[$1] ]] || FILES_SETTINGS[$1]=$2
}

# write_env_file: write STACK_VAR/files.conf (KEY=value, read through FILES_CONFIG) and
# STACK_VAR/env (`export KEY='value'`, for shells: `. var/env`), both mode 0600, from
# FILES_SETTINGS in §9 order.
write_env_file() {
    local k v conf=$STACK_VAR/files.conf env=$STACK_VAR/env
    for k in "${!FILES_SETTINGS[@]}"; do
        v=${FILES_SETTINGS[$k]}
        [[ $v != *$'\n'* && $v != *$'\r'* ]] || die "setting $k holds a line break"
    done
    (
        umask 077
        {
            printf '# sartiq-files configuration (FILES_CONFIG), written by scripts/%s; the environment wins over it.\n' \
                "${FILES_SCRIPT:-lib.sh}"
            for k in "${FILES_CONFIG_KEYS[@]}"; do
                [[ -v FILES_SETTINGS[$k] ]] || continue
                v=${FILES_SETTINGS[$k]}
                # config.c trims blanks and strips one pair of quotes: quote when that matters
                if [[ $v =~ ^[[:space:]] || $v =~ [[:space:]]$ || $v == [\"\']* ]]; then
                    printf '%s="%s"\n' "$k" "$v"
                else
                    printf '%s=%s\n' "$k" "$v"
                fi
            done
        } >"$conf.tmp"
        {
            printf '# sartiq-files settings for a shell: . %s\n' "$env"
            for k in "${FILES_CONFIG_KEYS[@]}"; do
                [[ -v FILES_SETTINGS[$k] ]] || continue
                v=${FILES_SETTINGS[$k]}
                printf "export %s='%s'\n" "$k" "${v//\'/\'\\\'\'}"
            done
        } >"$env.tmp"
        mv -f -- "$conf.tmp" "$conf"
        mv -f -- "$env.tmp" "$env"
    )
    STACK_CONFIG=$conf
    STACK_ENV_FILE=$env
}

# files_admin ARGS...: run sbin/files-admin with the stack's configuration.
files_admin() {
    (settings_clear_env && FILES_CONFIG=$STACK_CONFIG exec "$FILES_BIN_ROOT/sbin/files-admin" "$@")
}

# ---------------------------------------------------------------------------------------
# lighttpd

# sed_escape TEXT: TEXT made safe as the replacement of a sed s|...|...| command.
sed_escape() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//|/\\|}
    s=${s//&/\\&}
    printf '%s' "$s"
}

# fill_template IN OUT ASSOC: copy IN to OUT replacing @KEY@ by the value of KEY in the
# associative array named ASSOC; fails on a placeholder left unfilled.
fill_template() {
    local in=$1 out=$2 k script=""
    local -n vals=$3
    for k in "${!vals[@]}"; do
        [[ ${vals[$k]} != *$'\n'* ]] || die "template value $k holds a line break"
        script+="s|@${k}@|$(sed_escape "${vals[$k]}")|g"$'\n'
    done
    sed -e "$script" -- "$in" >"$out"
    if grep -n '@[A-Z][A-Z0-9_]*@' -- "$out" >&2; then
        die "unfilled placeholder(s) in $out (from $in)"
    fi
}

# responders_list: print "NAME REGEX" for each responder line of httpd-conf/responders, and
# "default NAME" for its default line (if any).
responders_list() {
    local name regex rest
    while read -r name regex rest; do
        [[ -z $name || $name == \#* ]] && continue
        [[ -n $regex && -z $rest ]] || die "httpd-conf/responders: bad line for $name"
        if [[ $name == default ]]; then
            [[ $regex =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "httpd-conf/responders: bad default $regex"
        else
            [[ $name =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "httpd-conf/responders: bad name $name"
            [[ $regex != *[\"\\]* ]] || die "httpd-conf/responders: $name: no \" or \\ in the regex"
        fi
        printf '%s %s\n' "$name" "$regex"
    done <"$FILES_ROOT/httpd-conf/responders"
}

# max_request_kb: the largest body any endpoint takes (bulk ZIP, LoRA 100 MB, single
# upload), in KiB, plus 1 MiB for multipart overhead.
max_request_kb() {
    local max=104857600 v k
    for k in BULK_MAX_UPLOAD_BYTES MAX_UPLOAD_SIZE; do
        v=${FILES_SETTINGS[$k]:-}
        [[ $k == BULK_MAX_UPLOAD_BYTES && -z $v ]] && v=1073741824
        if [[ $v =~ ^[0-9]{1,15}$ ]] && ((10#$v > max)); then max=$((10#$v)); fi
    done
    echo $(((max + 1023) / 1024 + 1024))
}

# body_limits: the largest request body of each URL space, from the settings, as
# "REGEX BYTES" lines (most specific first), then "default BYTES" for every other route
# (JSON and form bodies: the responders take at most 64 KiB of JSON, a login form is tiny).
# The web servers refuse a larger declared body with their JSON 413 before reading it.
BODY_LIMIT_SMALL=1048576
# API.md §4.2: 100 MB + the form's other parts, with room so that a file just over 100 MB
# still reaches the responder, whose 413 is the exact one (with X-Request-ID)
BODY_LIMIT_LORA=$((100 * 1048576 + 2 * 1048576))
body_limits() {
    local max=${FILES_SETTINGS[MAX_UPLOAD_SIZE]:-52428800} bulk=${FILES_SETTINGS[BULK_MAX_UPLOAD_BYTES]:-1073741824}
    [[ $max =~ ^[0-9]{1,15}$ ]] || max=52428800
    [[ $bulk =~ ^[0-9]{1,15}$ ]] || bulk=1073741824
    printf '%s %s\n' '^/api/v1/uploads/local/' "$((10#$max))"
    printf '%s %s\n' '^/api/v1/uploads/admin/upload-lora' "$BODY_LIMIT_LORA"
    printf '%s %s\n' '^/api/v1/products/bulk-upload' "$((10#$bulk + 1048576))"
    printf 'default %s\n' "$BODY_LIMIT_SMALL"
}

# body_limit_rules KIND: body_limits as configuration lines for KIND: lighttpd
# (server.max-request-size in KiB, per $HTTP["url"]), apache (LimitRequestBody per
# <LocationMatch>, for chunked bodies, and a rewrite rule per URL space answering a declared
# Content-Length above its limit with 413 at once) or htaccess (the rewrite rules only, in
# per-directory form).
body_limit_rules() {
    local kind=$1 regex bytes def=0 lines others=()
    lines=$(body_limits)
    while read -r regex bytes; do [[ $regex == default ]] && def=$bytes; done <<<"$lines"
    case $kind in
        lighttpd)
            printf 'server.max-request-size = %s\n' "$(((def + 1023) / 1024))"
            while read -r regex bytes; do
                [[ $regex == default ]] && continue
                printf '$HTTP["url"] =~ "%s" {\n    server.max-request-size = %s\n}\n' "$regex" "$(((bytes + 1023) / 1024))"
            done <<<"$lines"
            ;;
        apache | htaccess)
            if [[ $kind == apache ]]; then
                printf '    <Location "/">\n        LimitRequestBody %s\n    </Location>\n' "$def"
                while read -r regex bytes; do
                    [[ $regex == default ]] && continue
                    printf '    <LocationMatch "%s">\n        LimitRequestBody %s\n    </LocationMatch>\n' "$regex" "$bytes"
                done <<<"$lines"
            fi
            while read -r regex bytes; do
                [[ $regex == default ]] && continue
                [[ $kind == htaccess ]] && regex=^${regex#^/}
                others+=("$regex")
                printf '    RewriteCond "%%{ENV:REDIRECT_STATUS}" "^$"\n'
                printf '    RewriteCond expr "-n %%{HTTP:Content-Length} && %%{HTTP:Content-Length} -gt %s"\n' "$bytes"
                printf '    RewriteRule "%s" - [R=413]\n' "$regex"
            done <<<"$lines"
            printf '    RewriteCond "%%{ENV:REDIRECT_STATUS}" "^$"\n'
            for regex in "${others[@]}"; do
                if [[ $kind == htaccess ]]; then
                    printf '    RewriteCond "%%{REQUEST_URI}" "!^/%s"\n' "${regex#^}"
                else
                    printf '    RewriteCond "%%{REQUEST_URI}" "!%s"\n' "$regex"
                fi
            done
            printf '    RewriteCond expr "-n %%{HTTP:Content-Length} && %%{HTTP:Content-Length} -gt %s"\n' "$def"
            printf '    RewriteRule "^" - [R=413]\n'
            ;;
    esac
}

# fp_url VALUE: a URL setting as config.c keeps it (blanks trimmed, trailing slashes off).
fp_url() {
    local v=$1
    v=${v#"${v%%[![:space:]]*}"}
    v=${v%"${v##*[![:space:]]}"}
    while [[ $v == */ && $v != *// ]]; do v=${v%/}; done
    printf '%s' "$v"
}

# fastpath_settings: set FP_CF (true|false), FP_BASE, FP_CDN, FP_ORIGINS (array) and FP_ANY
# (true|false) from FILES_SETTINGS, with config.c's defaults: what the /files fast paths
# need to give files.fcgi's answer.
fastpath_settings() {
    local pub cdn r2 o cf
    pub=$(fp_url "${FILES_SETTINGS[PUBLIC_BASE_URL]:-http://127.0.0.1:8080}")
    cdn=$(fp_url "${FILES_SETTINGS[CDN_URL]:-}")
    r2=$(fp_url "${FILES_SETTINGS[R2_PUBLIC_URL]:-}")
    [[ -n $cdn ]] || cdn=$pub/storage
    [[ -n $r2 ]] || r2=$pub/storage
    cf=${FILES_SETTINGS[CLOUDFLARE_IMAGE_TRANSFORMS]:-false}
    cf=${cf,,}
    cf=${cf//[[:space:]]/}
    case $cf in true | 1 | yes | on | t | y) FP_CF=true FP_BASE=$cdn ;; *) FP_CF=false FP_BASE=$r2 ;; esac
    FP_CDN=$cdn
    FP_ORIGINS=() FP_ANY=false
    local -a list=()
    IFS=, read -r -a list <<<"${FILES_SETTINGS[CORS_ORIGINS]:-}"
    for o in ${list[@]+"${list[@]}"}; do
        o=$(fp_url "$o")
        [[ -n $o ]] || continue
        [[ $o == '*' ]] && FP_ANY=true
        FP_ORIGINS+=("$o")
    done
}

# fastpath_lua OUT [SERVER]: write the /files fast path of SERVER (lighttpd, the default, or
# apache) from httpd-conf/lighttpd/files-fastpath.lua.in, filled from FILES_SETTINGS, to OUT:
# the template's shared lines and SERVER's own, its "-- @SERVER{" ... "-- @SERVER}" blocks.
fastpath_lua() {
    local o list="" other=apache
    [[ ${2:-lighttpd} == apache ]] && other=lighttpd
    awk -v drop="$other" '
        $0 == "-- @" drop "{" { skip = 1; next }
        $0 == "-- @" drop "}" { skip = 0; next }
        /^-- @(lighttpd|apache)[{}]$/ { next }
        !skip' "$FILES_ROOT/httpd-conf/lighttpd/files-fastpath.lua.in" >"$1.in"
    fastpath_settings
    for o in ${FP_ORIGINS[@]+"${FP_ORIGINS[@]}"}; do
        [[ $o != *']==]'* ]] || die "CORS_ORIGINS entry $o cannot be written into Lua"
        list+="[ [==[$o]==] ]=true, "
    done
    [[ $FP_BASE$FP_CDN != *']==]'* ]] || die "a URL setting cannot be written into Lua"
    local -A v=([FP_CF]=$FP_CF [FP_BASE]=$FP_BASE [FP_CDN]=$FP_CDN [FP_ORIGINS]=$list [FP_ANY]=$FP_ANY)
    fill_template "$1.in" "$1" v
    rm -f -- "$1.in"
}

# fastpath_apache: the Apache /files fast path (mod_rewrite + mod_headers + mod_unique_id)
# from FILES_SETTINGS, the rules of httpd-conf/lighttpd/files-fastpath.lua.in as a regex on
# THE_REQUEST (the raw request line; request headers are read with req_novary, which adds
# no Vary that files.fcgi would not send): a redirect with the Location files.fcgi would give,
# X-Request-ID (the client's when valid, else the md5 of mod_unique_id's id) and the CORS
# headers of a listed Origin; every other request goes on to the responders. Prints nothing
# (no fast path) when a URL setting holds a character mod_rewrite would interpret.
FP_PATH_RE='/files/(?=[^ ?]{1,512}[ ?])(?![^ ?]*\.\.)(?!(?i:loras|bulk-uploads)[/ ?])((?:[A-Za-z0-9_-][A-Za-z0-9._-]*/){0,15}[A-Za-z0-9_-][A-Za-z0-9._-]*)'
fastpath_apache() {
    local o list="" cond rid='^[A-Za-z0-9._-]{1,128}$'
    fastpath_settings
    if [[ $FP_BASE$FP_CDN == *[%\$\\\"\ \'{}]* ]]; then
        note "warning: CDN_URL/R2_PUBLIC_URL hold characters mod_rewrite interprets: no Apache /files fast path"
        return 0
    fi
    printf '    <IfModule unique_id_module>\n'
    [[ $FP_ANY == true ]] && printf '    RewriteCond expr "-z %%{req_novary:Origin}"\n'
    if [[ $FP_CF == true ]]; then
        printf '    RewriteCond "%%{THE_REQUEST}" "^(?:GET|HEAD) %s\\?type=(webp|jpeg|png|avif) HTTP/1\\.[01]$"\n' "$FP_PATH_RE"
        printf '    RewriteRule "^/files/" "%s/cdn-cgi/image/format=%%2,quality=90/%%1" [R=302,NE,QSD,L,E=SF_FASTPATH:1]\n' "$FP_CDN"
        [[ $FP_ANY == true ]] && printf '    RewriteCond expr "-z %%{req_novary:Origin}"\n'
    fi
    printf '    RewriteCond "%%{THE_REQUEST}" "^(?:GET|HEAD) %s(?:\\?type=(?:webp|jpeg|png|avif|gif))? HTTP/1\\.[01]$"\n' "$FP_PATH_RE"
    printf '    RewriteRule "^/files/" "%s/%%1" [R=302,NE,QSD,L,E=SF_FASTPATH:1]\n' "$FP_BASE"
    printf '    Header always set X-Request-ID "expr=%%{req_novary:X-Request-ID}" "expr=-n %%{reqenv:SF_FASTPATH} && %%{req_novary:X-Request-ID} =~ /%s/"\n' "$rid"
    printf '    Header always set X-Request-ID "expr=%%{md5:%%{reqenv:UNIQUE_ID}}" "expr=-n %%{reqenv:SF_FASTPATH} && !(%%{req_novary:X-Request-ID} =~ /%s/)"\n' "$rid"
    for o in ${FP_ORIGINS[@]+"${FP_ORIGINS[@]}"}; do
        [[ $o == '*' ]] && continue
        [[ $o != *[\'\"\\]* ]] || continue
        list+=${list:+, }"'$o'"
    done
    if [[ -n $list ]]; then
        cond="expr=-n %{reqenv:SF_FASTPATH} && %{req_novary:Origin} in { $list }"
        printf '    Header always set Access-Control-Allow-Origin "expr=%%{req_novary:Origin}" "%s"\n' "$cond"
        printf '    Header always set Access-Control-Allow-Credentials "true" "%s"\n' "$cond"
        printf '    Header always set Vary "Origin" "%s"\n' "$cond"
    fi
    printf '    </IfModule>\n'
}

# fastpath_apache_lua FILE: the Apache /files fast path with mod_lua (FILES_FASTPATH=lua):
# FILE gets the Lua script of lighttpd's fast path (fastpath_lua: one rule set, its Apache
# lines), readable by the Apache user; prints the lines that hook it in. LuaQuickHandler
# answers before any translation or <Location> walk; LuaScope thread loads the script once per
# thread, LuaCodeCache forever never stats it again (a changed script needs a restart).
# FILES_FASTPATH_LUA_HOOK=translate hooks it as LuaHookTranslateName instead (measured against
# the quick handler in tests/bench/apache-files).
fastpath_apache_lua() {
    fastpath_lua "$1" apache
    chmod 644 "$1"
    printf '    <IfModule lua_module>\n    <IfModule unique_id_module>\n'
    printf '    LuaScope thread\n    LuaCodeCache forever\n'
    if [[ ${FILES_FASTPATH_LUA_HOOK:-quick} == translate ]]; then
        printf '    LuaHookTranslateName "%s" files_fastpath early\n' "$1"
    else
        printf '    LuaQuickHandler "%s" files_fastpath\n' "$1"
    fi
    printf '    </IfModule>\n    </IfModule>\n'
}

# lighttpd_config: write STACK_VAR/lighttpd/sartiq-files.conf from the templates in
# httpd-conf/lighttpd/ and httpd-conf/responders, and check it with lighttpd -tt.
lighttpd_config() {
    local blocks=$STACK_VAR/lighttpd/responders.conf name regex n=0 i default=""
    local fcgi_dir=$FILES_BIN_ROOT/fcgi-bin
    local -a names=() regexes=()
    local -A v=(
        [BIND]=$STACK_BIND
        [PORT]=$STACK_PORT
        [LOG_DIR]=$LT_LOG
        [RUN_DIR]=$LT_RUN
        [TMP_DIR]=$STACK_VAR/tmp
        [ERROR_DOCS]=$FILES_ROOT/httpd-conf/lighttpd/errors
        [STORAGE_ROOT]=${FILES_SETTINGS[STORAGE_LOCAL_ROOT]:-$STACK_VAR/storage}
        [FCGI_BIN_DIR]=$fcgi_dir
        [FILES_CONFIG]=$STACK_CONFIG
        [FCGI_PROCS]=${FILES_FCGI_PROCS:-2}
    )
    # ---- BEGIN openapi: /docs and /demo/ (web/, swagger-ui-dist from npm) ----
    web_assets
    v[WEB_DIR]=$FILES_ROOT/web
    v[SWAGGER_UI_DIR]=$FILES_ROOT/web/node_modules/swagger-ui-dist
    # ---- END openapi ----
    LT_CONF=$STACK_VAR/lighttpd/sartiq-files.conf
    responders_list >"$blocks.list" || die "httpd-conf/responders is not valid"
    while read -r name regex; do
        if [[ $name == default ]]; then
            default=$regex
            continue
        fi
        if [[ ! -x $fcgi_dir/$name.fcgi ]]; then
            note "warning: fcgi-bin/$name.fcgi is not built; its URLs ($regex) answer 404"
            continue
        fi
        names+=("$name")
        regexes+=("$regex")
    done <"$blocks.list"
    rm -f -- "$blocks.list"
    if [[ -n $default && ! -x $fcgi_dir/$default.fcgi ]]; then
        note "warning: the default responder fcgi-bin/$default.fcgi is not built: other URLs get lighttpd's 404"
        default=""
    fi
    : >"$blocks"
    # The default responder comes first (every URL outside /storage/), the others after it:
    # in lighttpd the last matching conditional wins. Its own URL space needs no block of
    # its own (a second block would start a second set of processes on the same socket).
    if [[ -n $default ]]; then
        v[NAME]=$default
        v[OP]='!~'
        v[REGEX]='^/(storage/|docs(/|$)|demo(/|$))'   # openapi: /docs and /demo/ are static
        v[WHAT]="every URL that no other responder and no /storage/, /docs or /demo/ location claims, its own included"
        fill_template "$FILES_ROOT/httpd-conf/lighttpd/responder.conf.in" "$blocks.one" v
        cat -- "$blocks.one" >>"$blocks"
        n=$((n + 1))
    fi
    for ((i = 0; i < ${#names[@]}; i++)); do
        [[ ${names[i]} == "$default" ]] && continue
        v[NAME]=${names[i]}
        v[OP]='=~'
        v[REGEX]=${regexes[i]}
        v[WHAT]="the URL space ${regexes[i]} (httpd-conf/responders)"
        fill_template "$FILES_ROOT/httpd-conf/lighttpd/responder.conf.in" "$blocks.one" v
        cat -- "$blocks.one" >>"$blocks"
        n=$((n + 1))
    done
    rm -f -- "$blocks.one"
    body_limit_rules lighttpd >"$blocks.limits"
    # The /files fast path (FILES_FASTPATH=0 leaves it out: files.fcgi answers every /files).
    : >"$blocks.fastpath"
    if [[ ${FILES_FASTPATH:-1} != 0 && -x $fcgi_dir/files.fcgi ]]; then
        fastpath_lua "$STACK_VAR/lighttpd/files-fastpath.lua"
        printf '$HTTP["url"] =~ "^/files/" {\n    magnet.attract-raw-url-to = ( "%s" )\n}\n' \
            "$STACK_VAR/lighttpd/files-fastpath.lua" >"$blocks.fastpath"
    fi
    ((n > 0)) || note "warning: no responder is built"
    unset 'v[NAME]' 'v[REGEX]' 'v[OP]' 'v[WHAT]'
    # The template's head comment (up to its first blank line) documents the placeholders:
    # the generated file gets a pointer to it instead.
    {
        printf '# Generated by scripts/lib.sh from httpd-conf/lighttpd/sartiq-files.conf.in and\n'
        printf '# httpd-conf/responders (see the head of that template for what to change).\n\n'
        sed -e '1,/^$/d' -e "/^@FASTCGI_SERVERS@\$/{r $blocks" -e 'd}' \
            -e "/^@BODY_LIMITS@\$/{r $blocks.limits" -e 'd}' \
            -e "/^@FILES_FASTPATH@\$/{r $blocks.fastpath" -e 'd}' \
            -- "$FILES_ROOT/httpd-conf/lighttpd/sartiq-files.conf.in"
    } >"$LT_CONF.in"
    rm -f -- "$blocks.limits" "$blocks.fastpath"
    fill_template "$LT_CONF.in" "$LT_CONF" v
    rm -f -- "$LT_CONF.in"
    # Hook: files listed in LT_EXTRA_CONF (see "Benchmark helpers" at the end) are included last.
    for i in ${LT_EXTRA_CONF[@]+"${LT_EXTRA_CONF[@]}"}; do printf 'include "%s"\n' "$i" >>"$LT_CONF"; done
    lighttpd -tt -f "$LT_CONF" >"$LT_LOG/lighttpd-check.log" 2>&1 ||
        { cat "$LT_LOG/lighttpd-check.log" >&2; die "lighttpd rejects $LT_CONF"; }
}

# lighttpd_start: run lighttpd -D in the background with a clean environment (the
# responders get FILES_CONFIG from the configuration only); wait until it answers.
lighttpd_start() {
    local pidfile=$LT_RUN/lighttpd.pid old i
    old=$(cat "$pidfile" 2>/dev/null || true)
    if [[ $old =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$old/comm" 2>/dev/null)" == lighttpd ]]; then
        die "lighttpd of this stack already runs (pid $old, $pidfile): stop it first"
    fi
    port_is_free "$STACK_PORT" || die "port $STACK_PORT of $STACK_BIND is in use: choose another (PORT=...)"
    note "starting lighttpd on http://$STACK_BIND:$STACK_PORT"
    local -a envv=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TZ=UTC)
    local k
    for k in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        [[ -v $k ]] && envv+=("$k=${!k}")
    done
    # lighttpd's own stderr, which the responders inherit (what they print before their
    # first request, e.g. a configuration error), goes to the error log too.
    env -i "${envv[@]}" lighttpd -D -f "$LT_CONF" </dev/null >>"$LT_LOG/lighttpd-error.log" 2>&1 &
    LT_PID=$!
    for i in $(seq 1 100); do
        if ! kill -0 "$LT_PID" 2>/dev/null; then
            wait "$LT_PID" || true
            LT_PID=""
            say "--- $LT_LOG/lighttpd-error.log (end)"
            tail -n 30 "$LT_LOG/lighttpd-error.log" >&2 || true
            die "lighttpd exited at start"
        fi
        if curl -s -o /dev/null --max-time 2 "http://$STACK_BIND:$STACK_PORT/"; then
            return 0
        fi
        sleep 0.1
    done
    die "lighttpd does not answer on $STACK_BIND:$STACK_PORT"
}

# lighttpd_stop: stop the lighttpd started by lighttpd_start (it stops its responders).
lighttpd_stop() {
    [[ -n $LT_PID ]] || return 0
    if kill -0 "$LT_PID" 2>/dev/null; then
        note "stopping lighttpd"
        stop_pids lighttpd 10 "$LT_PID"
    fi
    wait "$LT_PID" 2>/dev/null || true
    LT_PID=""
}

# ---------------------------------------------------------------------------------------
# The whole stack

# stack_start: everything of one stack, given STACK_VAR, STACK_PORT and FILES_SETTINGS
# (the caller's settings; the rest gets defaults): PostgreSQL (unless DATABASE_URL was
# given), files.conf and env, migrations, lighttpd.
stack_start() {
    stack_dirs
    if [[ -v FILES_SETTINGS[DATABASE_URL] ]]; then
        note "DATABASE_URL given: no private PostgreSQL"
    else
        pg_setup
        pg_start
        pg_ensure_db
    fi
    settings_default SECRET_KEY "$(file_once "$STACK_VAR/secret-key" random_hex 32)"
    settings_default STORAGE_BACKEND local
    settings_default STORAGE_LOCAL_ROOT "$STACK_VAR/storage"
    settings_default PUBLIC_BASE_URL "http://$STACK_BIND:$STACK_PORT"
    if [[ ${FILES_SETTINGS[STORAGE_BACKEND]} == local ]]; then
        mkdir -p -- "${FILES_SETTINGS[STORAGE_LOCAL_ROOT]}"/{temp,media}
    fi
    write_env_file
    [[ -x $FILES_BIN_ROOT/sbin/files-admin ]] || die "$FILES_BIN_ROOT/sbin/files-admin is not built"
    note "files-admin migrate --sql-dir sql"
    files_admin migrate --sql-dir "$FILES_ROOT/sql" >&2 || die "migration failed"
    lighttpd_config
    lighttpd_start
}

# stack_stop: stop lighttpd, then the private PostgreSQL if this stack started one.
stack_stop() {
    lighttpd_stop
    if [[ $STACK_PG_OWNED == 1 ]]; then
        pg_stop
        STACK_PG_OWNED=0
    fi
}

# ---------------------------------------------------------------------------------------
# Benchmark helpers (tests/bench/run). Added for the benchmark harness; nothing above calls
# them except the LT_EXTRA_CONF hook in lighttpd_config.

# LT_EXTRA_CONF: absolute paths of lighttpd configuration files that lighttpd_config
# includes at the end of the generated configuration (after the responders, so their
# conditionals win) before checking it. Empty for run-local and run-tests.
LT_EXTRA_CONF=()

# lighttpd_extra_responder NAME REGEX BIN_DIR OUT: write to OUT a fastcgi block for
# BIN_DIR/NAME.fcgi serving the URLs matching REGEX, from httpd-conf/lighttpd/responder.conf.in
# with this stack's settings (socket in LT_RUN, FILES_CONFIG, FILES_FCGI_PROCS), i.e. the same
# fastcgi settings as the real responders. Needs stack_dirs (LT_RUN) to have run.
lighttpd_extra_responder() {
    [[ -n $LT_RUN ]] || die "lighttpd_extra_responder: run stack_dirs first"
    local -A v=(
        [NAME]=$1
        [OP]='=~'
        [REGEX]=$2
        [WHAT]="the URL space $2 (added by ${FILES_SCRIPT:-lib.sh})"
        [FCGI_BIN_DIR]=$3
        [RUN_DIR]=$LT_RUN
        [FILES_CONFIG]=${STACK_CONFIG:-$STACK_VAR/files.conf}
        [FCGI_PROCS]=${FILES_FCGI_PROCS:-2}
    )
    fill_template "$FILES_ROOT/httpd-conf/lighttpd/responder.conf.in" "$4" v
    # A program that does not fork FILES_FCGI_CHILDREN itself (bare.fcgi) gets its processes
    # from lighttpd instead, as many on sockets of their own.
    sed -i -e "s/\"max-procs\"\( *\)=> 1,/\"max-procs\"\1=> ${FILES_FCGI_PROCS:-2},/" -- "$4"
}

# responder_pids NAME: print the pids (one a line) of the NAME.fcgi processes that this
# stack's lighttpd (LT_PID) runs: the one lighttpd started and the children it forked
# (FILES_FCGI_CHILDREN), or lighttpd's max-procs processes of a program that does not fork.
responder_pids() {
    local d p ppid exe
    local -A parent=()
    [[ -n $LT_PID ]] || return 0
    for d in /proc/[0-9]*; do
        exe=$(readlink -- "$d/exe" 2>/dev/null) || continue
        exe=${exe% (deleted)}        # the binary was rebuilt since the process started
        [[ ${exe##*/} == "$1.fcgi" ]] || continue
        ppid=$(awk '/^PPid:/ { print $2; exit }' "$d/status" 2>/dev/null) || continue
        parent[${d#/proc/}]=$ppid
    done
    for p in "${!parent[@]}"; do
        ppid=${parent[$p]}
        if [[ $ppid == "$LT_PID" || ${parent[$ppid]:-} == "$LT_PID" ]]; then printf '%s\n' "$p"; fi
    done | sort -n
    return 0
}

# proc_start_ticks PID: print the start time of PID (clock ticks after boot; with the pid it
# names one process: a pid reused later gets another start time). Empty when PID is gone.
proc_start_ticks() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    s=${s##*) }
    # shellcheck disable=SC2086 # split the fields after the command name
    set -- $s
    printf '%s\n' "${20}"
}

# proc_rss_kb PID: print VmRSS of PID in kB (empty when PID is gone).
proc_rss_kb() {
    awk '/^VmRSS:/ { print $2; exit }' "/proc/$1/status" 2>/dev/null || true
}

# =======================================================================================
# Deployments (added for the deployment smoke tests, tests/deploy; nothing above calls them)
#
# Private Apache servers in front of an already-running stack (its PostgreSQL and the
# settings of its files.conf, as stack_start left them), each on a free port of STACK_BIND:
#   fcgid        Apache + mod_fcgid          httpd-conf/apache-fcgid/sartiq-files.conf.in
#   proxy-fcgi   Apache + mod_proxy_fcgi     httpd-conf/apache-proxy-fcgi/sartiq-files.conf.in
#                + one spawn-fcgi'd responder pool per responder, on unix sockets
#   cgi          Apache + mod_cgid           httpd-conf/cgi/sartiq-files.conf.in
#   htaccess     Apache + mod_cgid as a shared host: the account's public_html holds the
#                responders in cgi-bin/ and the .htaccess of httpd-conf/cgi/htaccess.in
#   php-host     httpd-conf/cgi/sartiq-files.conf.in on a host that runs PHP everywhere:
#                mpm_prefork + mod_cgi, libapache2-mod-php enabled as a2enmod does it
#                (mods-available/php*.load and .conf), mod_include, and the server-wide
#                handlers of an old shared host (AddHandler .php, .cgi; SSI for .shtml), so
#                the tests show the storage location serves planted scripts inert
# Apache runs as root and its children as DEPLOY_USER (www-data; FILES_DEPLOY_USER to
# change), which must reach every file they use, so each deployment gets a directory of its
# own, STACK_VAR/deploy/NAME (a link to a /tmp directory when DEPLOY_USER cannot reach
# STACK_VAR, e.g. a checkout under /root), holding:
#   conf/httpd.conf          the private server (modules, User, Listen, pid file) that
#                            includes conf/sartiq-files.conf, the filled template
#   bin/                     copies of the built responders
#   files.conf               copy of the stack's files.conf, DEPLOY_USER's, mode 0600, with
#                            STORAGE_LOCAL_ROOT=NAME/storage and PUBLIC_BASE_URL this server's
#                            (when it was the stack's default)
#   storage/                 DEPLOY_USER's: the local storage of this deployment, as if it ran
#                            on a host of its own (the responders, run as DEPLOY_USER, write
#                            there; the stack's storage belongs to root). Kept between starts.
#   errors/                  copies of the JSON error bodies (httpd-conf/lighttpd/errors)
#   htdocs/                  the empty DocumentRoot (htaccess: the emulated public_html)
#   run/                     pid file, mod_fcgid/mod_cgid sockets, spawn-fcgi sockets and pid files
#   logs/                    apache-error.log (mod_fcgid's and mod_cgid's responders log
#                            there too), apache-access.log, apache-stderr.log; proxy-fcgi:
#                            responders.log (the spawn-fcgi'd responders) and spawn-fcgi.log
# deploy_start NAME / deploy_stop NAME / deploy_start_all / deploy_stop_all; DEPLOY_URL[NAME]
# is the base URL of a running deployment, deploy_urls prints them as NAME=URL,NAME=URL.

# Debian packages the deployments need (on top of FILES_PACKAGES).
DEPLOY_PACKAGES=(apache2 libapache2-mod-fcgid spawn-fcgi libapache2-mod-php)
DEPLOY_NAMES=(fcgid proxy-fcgi cgi htaccess php-host)
DEPLOY_USER=${FILES_DEPLOY_USER:-www-data}
APACHE_BIN=/usr/sbin/apache2
APACHE_MODULES_DIR=/usr/lib/apache2/modules
declare -gA DEPLOY_URL=() DEPLOY_PID=() DEPLOY_DIR=() DEPLOY_WARNED=()

# deploy_ensure_packages: ensure_packages with DEPLOY_PACKAGES. Installing apache2 must
# not start the distribution's own Apache on port 80: while apt-get runs, a policy-rc.d
# (when the machine has none) forbids starting services.
deploy_ensure_packages() {
    local pkg need=0 rc=0 policy=/usr/sbin/policy-rc.d made=0
    for pkg in "${FILES_PACKAGES[@]}" "${DEPLOY_PACKAGES[@]}"; do
        [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] || need=1
    done
    ((need)) || return 0
    if [[ $(id -u) -eq 0 && ! -e $policy ]]; then
        printf '#!/bin/sh\n# sartiq-files scripts/lib.sh: no service starts while packages install\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made=1
    fi
    (ensure_packages "${DEPLOY_PACKAGES[@]}") || rc=$?
    ((made)) && rm -f -- "$policy"
    ((rc == 0)) || die "could not install the deployment packages: ${DEPLOY_PACKAGES[*]}"
}

# deploy_user_can_reach PATH: true when DEPLOY_USER can traverse PATH.
deploy_user_can_reach() { (cd / && runuser -u "$DEPLOY_USER" -- test -x "$1") 2>/dev/null; }

# deploy_dir NAME: make the directory of deployment NAME (see above) with fresh conf/,
# bin/, errors/, htdocs/ and run/ (logs/ is kept); sets REPLY to its real path.
deploy_dir() {
    local name=$1 path real sub
    [[ -n $STACK_VAR && -d $STACK_VAR ]] || die "deploy: no stack (STACK_VAR is not set)"
    mkdir -p -- "$STACK_VAR/deploy"
    path=$STACK_VAR/deploy/$name
    if [[ -L $path ]]; then
        real=$(readlink -f -- "$path" || true)
        [[ -n $real && -d $real ]] || { rm -f -- "$path"; real=""; }
    fi
    [[ -e $path ]] || { mkdir -- "$path"; chmod 755 "$path"; }
    real=$(cd "$path" && pwd -P)
    # Short (unix socket paths: run/NAME.sock under it) and reachable by the Apache user.
    if ((${#real} > 64)) || ! deploy_user_can_reach "$real"; then
        if [[ ! -L $path ]]; then
            rmdir -- "$path" 2>/dev/null ||
                die "$path is not reachable by $DEPLOY_USER (or too long a path) and not empty: remove it"
        else
            rm -f -- "$path"
        fi
        real=$(mktemp -d "/tmp/sartiq-files-deploy-$name.XXXXXX")
        chmod 755 "$real"
        ln -s -- "$real" "$path"
        deploy_user_can_reach "$real" || die "$DEPLOY_USER cannot reach $real"
    fi
    for sub in conf bin errors htdocs run; do rm -rf -- "${real:?}/$sub"; done
    mkdir -p -- "$real"/{conf,bin,errors,htdocs,run,logs}
    chmod 755 "$real"/{conf,bin,errors,htdocs,run,logs}
    REPLY=$real
}

# deploy_load_responders: DEPLOY_RESP, the built responders of httpd-conf/responders in
# its order ("NAME REGEX"), then "default NAME" when the default responder is built; warns
# (once per run) about the ones not built.
DEPLOY_RESP=()
deploy_load_responders() {
    local list name regex
    list=$(responders_list) || die "httpd-conf/responders is not valid"
    DEPLOY_RESP=()
    while read -r name regex; do
        [[ -n $name ]] || continue
        if [[ $name == default ]]; then
            [[ -x $FILES_ROOT/fcgi-bin/$regex.fcgi ]] && DEPLOY_RESP+=("default $regex")
        elif [[ -x $FILES_ROOT/fcgi-bin/$name.fcgi ]]; then
            DEPLOY_RESP+=("$name $regex")
        elif [[ -z ${DEPLOY_WARNED[$name]:-} ]]; then
            DEPLOY_WARNED[$name]=1
            note "warning: fcgi-bin/$name.fcgi is not built; the deployments leave its URLs ($regex) out"
        fi
    done <<<"$list"
    ((${#DEPLOY_RESP[@]} > 0)) || die "deploy: no responder is built"
}

# deploy_responders: print DEPLOY_RESP, one a line.
deploy_responders() { printf '%s\n' "${DEPLOY_RESP[@]}"; }

# deploy_routes KIND BIN_DIR RUN_DIR: the @ROUTES@ lines of a template (see its head), KIND
# rewrite (RewriteRule to BIN_DIR/NAME.fcgi) or proxy (ProxyPassMatch to RUN_DIR/NAME.sock).
deploy_routes() {
    local kind=$1 bin=$2 run=$3 name regex default=""
    while read -r name regex; do
        if [[ $name == default ]]; then
            default=$regex
            continue
        fi
        case $kind in
            rewrite) printf '    RewriteRule "%s" "%s/%s.fcgi" [END]\n' "$regex" "$bin" "$name" ;;
            proxy) printf '    ProxyPassMatch "%s" "unix:%s/%s.sock|fcgi://%s/"\n' "$regex" "$run" "$name" "$name" ;;
        esac
    done < <(deploy_responders)
    [[ -n $default ]] || return 0
    case $kind in
        rewrite) printf '    RewriteRule "^/" "%s/%s.fcgi" [END]\n' "$bin" "$default" ;;
        proxy) printf '    ProxyPassMatch "^/" "unix:%s/%s.sock|fcgi://%s/"\n' "$run" "$default" "$default" ;;
    esac
}

# deploy_fill TEMPLATE OUT ASSOC ROUTES_FILE: fill_template with the template's head
# comment (up to its first blank line) replaced by a pointer to it, and its @ROUTES@ line
# by the lines of ROUTES_FILE.
deploy_fill() {
    local in=$1 out=$2 routes=$4
    {
        printf '# Generated by scripts/lib.sh from %s\n' "${in#"$FILES_ROOT"/}"
        printf '# (see the head of that template for what to change).\n\n'
        sed -e '1,/^$/d' -e "/^@ROUTES@\$/{r $routes" -e 'd}' \
            -e "/^@BODY_LIMITS@\$/{r $routes.limits" -e 'd}' \
            -e "/^@FILES_FASTPATH@\$/{r $routes.fastpath" -e 'd}' -- "$in"
    } >"$out.in"
    fill_template "$out.in" "$out" "$3"
    rm -f -- "$out.in"
}

# deploy_copy_files DIR URL: the responders, the error bodies and files.conf into DIR, and
# DIR/storage (see above).
deploy_copy_files() {
    local dir=$1 url=$2 name regex old
    while read -r name regex; do
        [[ $name == default ]] && continue
        install -m 0755 -- "$FILES_ROOT/fcgi-bin/$name.fcgi" "$dir/bin/$name.fcgi"
    done < <(deploy_responders)
    install -m 0644 -- "$FILES_ROOT"/httpd-conf/lighttpd/errors/json-*.html "$dir/errors/"
    deploy_copy_web "$dir/web"      # openapi: /docs and /demo/
    mkdir -p -- "$dir/storage/temp" "$dir/storage/media"
    chown -R "$DEPLOY_USER:" "$dir/storage"
    chmod 750 "$dir/storage"
    old=http://$STACK_BIND:$STACK_PORT
    (
        umask 077
        awk -v old="PUBLIC_BASE_URL=$old" -v new="PUBLIC_BASE_URL=$url" \
            -v root="STORAGE_LOCAL_ROOT=$dir/storage" '
            $0 == old { print new; next }
            /^STORAGE_LOCAL_ROOT=/ { print root; done = 1; next }
            { print }
            END { if (!done) print root }' "$STACK_CONFIG" >"$dir/files.conf"
    )
    chown "$DEPLOY_USER:" "$dir/files.conf"
}

# deploy_httpd_conf NAME DIR PORT MODULE...: write DIR/conf/httpd.conf, the private
# server: ServerRoot DIR, Listen STACK_BIND:PORT, the MODULEs (mpm_event and the ones every
# variant needs are added), children as DEPLOY_USER, and the site conf/sartiq-files.conf.
deploy_httpd_conf() {
    local name=$1 dir=$2 port=$3 m group k
    shift 3
    group=$(id -gn "$DEPLOY_USER")
    {
        printf '# Generated by scripts/lib.sh (deploy_start %s): a private Apache for the %s deployment.\n' "$name" "$name"
        printf 'ServerRoot "%s"\n' "$dir"
        printf 'DefaultRuntimeDir "%s/run"\n' "$dir"
        printf 'PidFile "%s/run/apache2.pid"\n' "$dir"
        printf 'Listen %s:%s\n' "$STACK_BIND" "$port"
        printf 'ServerName %s\n' "$STACK_BIND"
        printf 'User %s\nGroup %s\n' "$DEPLOY_USER" "$group"
        printf 'ErrorLog "%s/logs/apache-error.log"\n' "$dir"
        printf 'LogLevel warn\n'
        local mpm=mpm_event
        [[ $name == php-host ]] && mpm=mpm_prefork
        for m in "$mpm" authz_core alias rewrite mime headers env reqtimeout "$@"; do
            printf 'LoadModule %s_module "%s/mod_%s.so"\n' "$m" "$APACHE_MODULES_DIR" "$m"
        done
        if [[ $name == php-host ]]; then
            # mod_php as Debian's a2enmod enables it, then an old shared host's global handlers.
            printf 'Include /etc/apache2/mods-available/php*.load\n'
            printf 'Include /etc/apache2/mods-available/php*.conf\n'
            printf 'AddHandler application/x-httpd-php .php\nAddHandler cgi-script .cgi\n'
            printf 'AddType text/html .shtml\nAddOutputFilter INCLUDES .shtml\n'
            printf 'StartServers 2\nServerLimit 16\nMaxRequestWorkers 16\n'
        else
            printf 'StartServers 1\nServerLimit 2\nThreadsPerChild 16\nMinSpareThreads 4\n'
            printf 'MaxSpareThreads 32\nMaxRequestWorkers 32\n'
        fi
        cat <<EOF
Timeout 60
KeepAlive On
TraceEnable Off
ServerTokens Prod
ServerSignature Off
TypesConfig /dev/null
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<Files ".ht*">
    Require all denied
</Files>
EOF
        for k in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
            [[ -v $k ]] && printf 'PassEnv %s\n' "$k"
        done
        case " $* " in
            *" fcgid "*)
                printf 'FcgidIPCDir "%s/run/fcgid"\n' "$dir"
                printf 'FcgidProcessTableFile "%s/run/fcgid-shm"\n' "$dir"
                ;;
        esac
        case " $* " in
            *" cgid "*) printf 'ScriptSock "%s/run/cgid.sock"\n' "$dir" ;;
        esac
        printf 'Include "%s/conf/sartiq-files.conf"\n' "$dir"
    } >"$dir/conf/httpd.conf"
}

# deploy_env: the environment (NAME=value words) of the processes the deployments start.
deploy_env() {
    local k
    DEPLOY_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TZ=UTC)
    for k in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        [[ -v $k ]] && DEPLOY_ENV+=("$k=${!k}")
    done
    return 0
}

# deploy_spawn_fcgi DIR: one spawn-fcgi'd pool (FILES_FCGI_PROCS processes, default 2) per
# built responder, on DIR/run/NAME.sock (DEPLOY_USER's, mode 0600), pids in DIR/run/NAME.pid.
# spawn-fcgi points a forked child's stderr at /dev/null: a shell in front of each responder
# sends it to DIR/logs/responders.log instead, then execs the responder.
deploy_spawn_fcgi() {
    local dir=$1 name regex group log=$1/logs/responders.log
    group=$(id -gn "$DEPLOY_USER")
    touch -- "$log"
    chown "$DEPLOY_USER:" "$log"
    deploy_env
    while read -r name regex; do
        [[ $name == default ]] && continue
        # shellcheck disable=SC2016 # $0 and $1 are the inner shell's
        # mod_proxy_fcgi streams bodies: no presign batches (docs/deployment.md)
        env -i "${DEPLOY_ENV[@]}" FILES_CONFIG="$dir/files.conf" PRESIGN_BATCH=1 \
            spawn-fcgi -s "$dir/run/$name.sock" -M 0600 -U "$DEPLOY_USER" -G "$group" \
            -u "$DEPLOY_USER" -g "$group" -F "${FILES_FCGI_PROCS:-2}" -P "$dir/run/$name.pid" \
            -d / -- /bin/sh -c 'exec "$0" 2>>"$1"' "$dir/bin/$name.fcgi" "$log" \
            </dev/null >>"$dir/logs/spawn-fcgi.log" 2>&1 ||
            { tail -n 20 "$dir/logs/spawn-fcgi.log" "$log" >&2; die "spawn-fcgi $name.fcgi failed"; }
    done < <(deploy_responders)
}

# deploy_site_conf NAME DIR PORT URL: write DIR/conf/sartiq-files.conf (and, for htaccess,
# DIR/htdocs/.htaccess and the account's files) for deployment NAME.
deploy_site_conf() {
    local name=$1 dir=$2 port=$3 url=$4 tdir kind routes
    routes=$dir/conf/routes
    local -A v=(
        [BIND]=$STACK_BIND
        [PORT]=$port
        [SERVER_NAME]=$STACK_BIND
        [DOC_ROOT]=$dir/htdocs
        [LOG_DIR]=$dir/logs
        [ERROR_DOCS]=$dir/errors
        [STORAGE_ROOT]=$dir/storage
        [MAX_REQUEST_BYTES]=$(($(max_request_kb) * 1024))
        [FCGI_BIN_DIR]=$dir/bin
        [RUN_DIR]=$dir/run
        [FILES_CONFIG]=$dir/files.conf
        [FCGI_PROCS]=${FILES_FCGI_PROCS:-2}
        [WEB_DIR]=$dir/web                          # openapi: deploy_copy_web
        [SWAGGER_UI_DIR]=$dir/web/docs/swagger-ui
    )
    case $name in
        fcgid) tdir=apache-fcgid kind=rewrite ;;
        proxy-fcgi) tdir=apache-proxy-fcgi kind=proxy ;;
        cgi | php-host) tdir=cgi kind=rewrite ;;
        htaccess)
            deploy_htaccess_site "$dir" "$port"
            return 0
            ;;
        *) die "deploy: unknown deployment $name" ;;
    esac
    deploy_routes "$kind" "$dir/bin" "$dir/run" >"$routes"
    body_limit_rules apache >"$routes.limits"
    : >"$routes.fastpath"
    # FILES_FASTPATH: 1 (default) mod_rewrite, lua mod_lua, 0 none (files.fcgi answers).
    if [[ ${FILES_FASTPATH:-1} != 0 && $name != php-host && $name != cgi ]] && grep -q '^files ' <(deploy_responders); then
        if [[ ${FILES_FASTPATH:-1} == lua ]]; then
            fastpath_apache_lua "$dir/conf/files-fastpath.lua" >"$routes.fastpath"
        else
            fastpath_apache >"$routes.fastpath"
        fi
    fi
    deploy_fill "$FILES_ROOT/httpd-conf/$tdir/sartiq-files.conf.in" "$dir/conf/sartiq-files.conf" v "$routes"
}

# deploy_htaccess_site DIR PORT: a shared host as a hosting company sets one up (a virtual
# host whose DocumentRoot allows .htaccess files and CGI), and the account's public_html
# (DIR/htdocs) as docs/deployment.md tells its owner to fill it: the responders in cgi-bin/,
# the error bodies in sartiq-errors/ and .htaccess from httpd-conf/cgi/htaccess.in.
deploy_htaccess_site() {
    local dir=$1 port=$2 name regex
    local -A v=([FILES_CONFIG]=$dir/files.conf)
    mkdir -p -- "$dir/htdocs/cgi-bin" "$dir/htdocs/sartiq-errors"
    while read -r name regex; do
        [[ $name == default ]] && continue
        install -m 0755 -- "$dir/bin/$name.fcgi" "$dir/htdocs/cgi-bin/$name.fcgi"
    done < <(deploy_responders)
    install -m 0644 -- "$dir"/errors/json-*.html "$dir/htdocs/sartiq-errors/"
    cp -R -- "$dir/web/docs" "$dir/web/demo" "$dir/htdocs/"     # openapi: /docs and /demo/
    # The example is written out by hand: say so when it misses a built responder.
    while read -r name regex; do
        [[ $name == default ]] && continue
        grep -q "\"cgi-bin/$name\.fcgi\"" -- "$FILES_ROOT/httpd-conf/cgi/htaccess.in" ||
            note "warning: httpd-conf/cgi/htaccess.in has no rule for $name.fcgi ($regex)"
    done < <(deploy_responders)
    body_limit_rules htaccess >"$dir/conf/limits"
    sed -e "/^@BODY_LIMITS@\$/{r $dir/conf/limits" -e 'd}' -- "$FILES_ROOT/httpd-conf/cgi/htaccess.in" >"$dir/conf/htaccess.in"
    fill_template "$dir/conf/htaccess.in" "$dir/htdocs/.htaccess" v
    chmod 644 "$dir/htdocs/.htaccess"
    cat >"$dir/conf/sartiq-files.conf" <<EOF
# Generated by scripts/lib.sh (deploy_start htaccess): a shared host's virtual host, as a
# hosting company configures it (the account controls only the files under DocumentRoot).
<VirtualHost $STACK_BIND:$port>
    ServerName $STACK_BIND
    DocumentRoot "$dir/htdocs"
    ErrorLog "$dir/logs/apache-error.log"
    CustomLog "$dir/logs/apache-access.log" "%h %l %u %t \"%r\" %>s %b rid=%{X-Request-ID}o"
    <Directory "$dir/htdocs">
        Options SymLinksIfOwnerMatch
        AllowOverride All
        Require all granted
    </Directory>
</VirtualHost>
EOF
}

# deploy_wait_http NAME PORT PID: wait until the server answers (any status) or dies.
deploy_wait_http() {
    local name=$1 port=$2 pid=$3 i
    for i in $(seq 1 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        curl -s -o /dev/null --max-time 2 "http://$STACK_BIND:$port/" && return 0
        sleep 0.1
    done
    note "deployment $name does not answer on $STACK_BIND:$port"
    return 1
}

# deploy_start NAME: start deployment NAME (fcgid, proxy-fcgi, cgi, htaccess) in front of
# the running stack (STACK_VAR, STACK_CONFIG); sets DEPLOY_URL[NAME].
deploy_start() {
    local name=$1 dir port url pid
    local -a mods=()
    [[ -z ${DEPLOY_PID[$name]:-} ]] || die "deployment $name already runs"
    STACK_CONFIG=${STACK_CONFIG:-$STACK_VAR/files.conf}
    [[ -r $STACK_CONFIG ]] || die "deploy: no stack configuration ($STACK_CONFIG)"
    [[ -x $APACHE_BIN ]] || die "deploy: $APACHE_BIN is missing (deploy_ensure_packages)"
    id -u "$DEPLOY_USER" >/dev/null 2>&1 || die "deploy: no user $DEPLOY_USER"
    case $name in
        fcgid) mods=(fcgid unique_id) ;;
        proxy-fcgi) mods=(proxy proxy_fcgi unique_id) ;;
        cgi | htaccess) mods=(cgid) ;;
        php-host) mods=(cgi include) ;;
        *) die "deploy: unknown deployment $name (one of ${DEPLOY_NAMES[*]})" ;;
    esac
    # mod_lua only for its /files fast path (deploy_site_conf)
    if [[ ${FILES_FASTPATH:-1} == lua && ($name == fcgid || $name == proxy-fcgi) ]]; then mods+=(lua); fi
    deploy_load_responders
    deploy_dir "$name"
    dir=$REPLY
    DEPLOY_DIR[$name]=$dir
    port=$(free_port)
    url=http://$STACK_BIND:$port
    deploy_copy_files "$dir" "$url"
    deploy_site_conf "$name" "$dir" "$port" "$url"
    deploy_httpd_conf "$name" "$dir" "$port" "${mods[@]}"
    deploy_env
    env -i "${DEPLOY_ENV[@]}" "$APACHE_BIN" -t -f "$dir/conf/httpd.conf" >"$dir/logs/apache-check.log" 2>&1 ||
        { cat "$dir/logs/apache-check.log" >&2; die "Apache rejects $dir/conf/httpd.conf"; }
    [[ $name == proxy-fcgi ]] && deploy_spawn_fcgi "$dir"
    note "starting the $name deployment on $url ($dir)"
    # mpm_prefork signals its children with killpg(getpgrp()) when it stops: in a session
    # of its own (setsid execs without forking here), so that is not this script's group.
    local -a sess=()
    [[ $name == php-host ]] && sess=(setsid)
    env -i "${DEPLOY_ENV[@]}" ${sess[@]+"${sess[@]}"} "$APACHE_BIN" -f "$dir/conf/httpd.conf" -DFOREGROUND \
        </dev/null >>"$dir/logs/apache-stderr.log" 2>&1 &
    pid=$!
    DEPLOY_PID[$name]=$pid
    if ! deploy_wait_http "$name" "$port" "$pid"; then
        say "--- $dir/logs (end)"
        tail -n 20 "$dir/logs/apache-stderr.log" "$dir/logs/apache-error.log" >&2 2>/dev/null || true
        deploy_stop "$name"
        die "the $name deployment did not start"
    fi
    DEPLOY_URL[$name]=$url
}

# deploy_stop NAME: stop deployment NAME: Apache (it stops mod_fcgid's and mod_cgid's
# processes), then the spawn-fcgi pools and any process still running a responder of its
# directory (found by pid through /proc/PID/exe, never by name).
deploy_stop() {
    local name=$1 dir=${DEPLOY_DIR[$1]:-} pid p
    local -a pids=()
    pid=${DEPLOY_PID[$name]:-}
    if [[ -n $pid ]]; then
        if kill -0 "$pid" 2>/dev/null; then
            note "stopping the $name deployment"
            stop_pids "Apache ($name)" 10 "$pid"
        fi
        wait "$pid" 2>/dev/null || true
    fi
    if [[ -n $dir && -d $dir ]]; then
        while read -r p; do
            p=${p#/proc/}
            [[ $p =~ ^[0-9]+$ ]] && pids+=("$p")
        done < <(find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname "$dir/bin/*" -o \
            -lname "$dir/htdocs/cgi-bin/*" \) -printf '%h\n' 2>/dev/null || true)
        stop_pids "the responders of $name" 10 "${pids[@]}"
    fi
    unset "DEPLOY_PID[$name]" "DEPLOY_URL[$name]"
    return 0
}

# deploy_start_all: every deployment of DEPLOY_NAMES (FILES_DEPLOY_NAMES, space-separated,
# to choose fewer).
deploy_start_all() {
    local name
    for name in ${FILES_DEPLOY_NAMES:-${DEPLOY_NAMES[*]}}; do deploy_start "$name"; done
}

# deploy_stop_all: stop every deployment started (safe to call at any time, and again).
deploy_stop_all() {
    local name
    for name in "${!DEPLOY_DIR[@]}"; do deploy_stop "$name"; done
    return 0
}

# deploy_urls: the running deployments as NAME=URL,NAME=URL (FILES_DEPLOY_URLS of tests/deploy).
deploy_urls() {
    local name out=""
    for name in ${FILES_DEPLOY_NAMES:-${DEPLOY_NAMES[*]}}; do
        [[ -n ${DEPLOY_URL[$name]:-} ]] && out+=${out:+,}$name=${DEPLOY_URL[$name]}
    done
    printf '%s\n' "$out"
}

# deploy_storage_roots: the running deployments' storage as NAME=DIR,NAME=DIR
# (FILES_DEPLOY_STORAGE of tests/deploy).
deploy_storage_roots() {
    local name out=""
    for name in ${FILES_DEPLOY_NAMES:-${DEPLOY_NAMES[*]}}; do
        [[ -n ${DEPLOY_URL[$name]:-} ]] && out+=${out:+,}$name=${DEPLOY_DIR[$name]}/storage
    done
    printf '%s\n' "$out"
}

# deploy_logs_tail [N]: the last N (30) lines of every deployment's logs, on stderr.
deploy_logs_tail() {
    local name f
    for name in "${!DEPLOY_DIR[@]}"; do
        for f in "${DEPLOY_DIR[$name]}"/logs/*.log; do
            [[ -s $f ]] || continue
            say "--- $f (last ${1:-30} lines)"
            tail -n "${1:-30}" -- "$f" >&2 || true
        done
    done
}

# junit_counts FILE: print "passed failed skipped" of a pytest JUnit XML file.
junit_counts() {
    "$SYS_PYTHON" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
t = f = s = 0
for x in suites:
    t += int(x.get("tests", 0))
    f += int(x.get("failures", 0)) + int(x.get("errors", 0))
    s += int(x.get("skipped", 0))
print(max(t - f - s, 0), f, s)
EOF
}

# =======================================================================================
# ==== BEGIN sanitizer build and fuzz smoke (scripts/run-tests, stages "sanitizer ..." and
# "fuzz smoke"; nothing above calls them) ====
# The checkout is configured in-tree (build), which a VPATH build refuses, so the
# --enable-sanitizers build (ASan + UBSan, gcc) is made as tests/fuzz/run-smoke makes its
# own: the checkout's sources (tracked and untracked files, not ignored ones; modification
# times kept, so only what changed is rebuilt) are mirrored into build-san/src and built
# there in-tree. Files deleted from the checkout stay in the copy: delete build-san to start
# over.
FILES_SAN_ROOT=$FILES_ROOT/build-san/src
FILES_SAN_LOCK_FD=""
# The first line of every AddressSanitizer, LeakSanitizer and UBSan report.
SAN_PATTERN='ERROR: AddressSanitizer|runtime error:|LeakSanitizer'
# Debian packages tests/fuzz/run-smoke needs (libFuzzer), on top of FILES_PACKAGES.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# san_build: mirror the sources into FILES_SAN_ROOT and build there (build, with
# --enable-sanitizers). Takes build-san's lock first (one run at a time; held until the
# shell exits, so nothing rebuilds the binaries under a running stack). Fails outside git.
san_build() {
    local f
    git -C "$FILES_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
        { note "error: $FILES_ROOT is not a git checkout: no sanitizer build (mirroring needs git)"; return 1; }
    mkdir -p -- "$FILES_SAN_ROOT/m4"
    if [[ -z $FILES_SAN_LOCK_FD ]] && command -v flock >/dev/null; then
        exec {FILES_SAN_LOCK_FD}>"$FILES_ROOT/build-san/.lock"
        if ! flock -n "$FILES_SAN_LOCK_FD"; then
            note "another run uses build-san: waiting for it (30 min at most)"
            flock -w 1800 "$FILES_SAN_LOCK_FD" || { note "error: build-san stays locked"; return 1; }
        fi
    fi
    note "mirroring the sources into build-san/src"
    git -C "$FILES_ROOT" ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            if [[ -f $FILES_ROOT/$f ]]; then printf '%s\0' "$f"; fi
        done |
        tar -C "$FILES_ROOT" --null -T - -cf - | tar -C "$FILES_SAN_ROOT" -xf - ||
        { note "error: could not mirror the sources into $FILES_SAN_ROOT"; return 1; }
    FILES_CONFIGURE_FLAGS=--enable-sanitizers build "$FILES_SAN_ROOT"
}

# san_findings FILE...: print on stderr each sanitizer report (SAN_PATTERN and the lines
# after it) of the FILEs that exist; REPLY = the number of reports.
san_findings() {
    local f n
    REPLY=0
    for f in "$@"; do
        [[ -f $f ]] || continue
        n=$(grep -cE -- "$SAN_PATTERN" "$f" || true)
        ((n > 0)) || continue
        REPLY=$((REPLY + n))
        say "--- $n sanitizer report(s) in $f"
        grep -E -A 40 -- "$SAN_PATTERN" "$f" | head -n 200 >&2 || true
    done
}

# san_admin_wrapper DIR REPORTS: write DIR/sbin/files-admin, a script running the sanitizer
# build's files-admin with its arguments, stdin and stdout, whose stderr it passes on once
# the program ended, copied to REPORTS/files-admin-stderr.PID when it holds a report (gcc's
# UBSan ignores UBSAN_OPTIONS log_path when ASan is linked in: its reports go to stderr,
# which the tests capture); DIR/fcgi-bin links to the build's responders (tests look for
# them beside FILES_ADMIN's sbin/).
san_admin_wrapper() {
    local q_bin q_rep q_pat
    mkdir -p -- "$1/sbin"
    ln -sfn -- "$FILES_SAN_ROOT/fcgi-bin" "$1/fcgi-bin"
    # the media tests run files-cron and the fault-point responder next to files-admin
    ln -sfn -- "$FILES_SAN_ROOT/sbin/files-cron" "$1/sbin/files-cron"
    ln -sfn -- "$FILES_SAN_ROOT/tests" "$1/tests"
    q_bin=$(printf '%q' "$FILES_SAN_ROOT/sbin/files-admin")
    q_rep=$(printf '%q' "$2")
    q_pat=$(printf '%q' "$SAN_PATTERN")
    cat >"$1/sbin/files-admin" <<EOF
#!/usr/bin/env bash
# files-admin of the sanitizer build, its stderr scanned (generated by scripts/lib.sh).
err=\$(mktemp) || exit 70
rc=0
$q_bin "\$@" 2>"\$err" || rc=\$?
cat -- "\$err" >&2
if grep -qE -- $q_pat "\$err"; then cp -- "\$err" $q_rep/files-admin-stderr.\$\$; fi
rm -f -- "\$err"
exit "\$rc"
EOF
    chmod 755 "$1/sbin/files-admin"
}
# ==== END sanitizer build and fuzz smoke ====

# =======================================================================================
# ==== BEGIN S3 test server (tests/s3: @20minutes/s3rver 4.0.4; scripts/run-tests stage
# "s3 storage tests"). Added for the storage tests; nothing above calls these. ====
# s3rver checks SigV4 signatures, header-signed and presigned, with its built-in account
# (access key id S3RVER, secret S3RVER) and the region of each request's credential scope.
# Its paged listings need Node's legacy OpenSSL provider (DES continuation tokens). The
# server exits by itself once the shell that started it ($$) is gone.

S3RVER_PID="" S3RVER_PORT="" S3RVER_DIR=""
S3RVER_BUCKET=sartiq-test
S3RVER_ACCESS_KEY=S3RVER
S3RVER_SECRET_KEY=S3RVER
S3RVER_REGION=us-east-1

# s3rver_start DIR: start s3rver on a free port of 127.0.0.1, data in DIR/data, log in
# DIR/s3rver.log, pid in DIR/s3rver.pid (first `npm ci` in tests/s3 when its node_modules is
# missing); sets S3RVER_PORT, S3RVER_PID and S3RVER_DIR. Dies unless it is ready within 30 s.
s3rver_start() {
    local dir=$1 i major
    [[ -z $S3RVER_PID ]] || die "s3rver already runs (pid $S3RVER_PID)"
    command -v node >/dev/null 2>&1 || ensure_packages nodejs
    command -v npm >/dev/null 2>&1 || ensure_packages npm
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    ((major >= 20)) || die "s3rver needs Node.js 20 or later (found $(node --version 2>/dev/null || echo none))"
    if [[ ! -f $FILES_ROOT/tests/s3/node_modules/@20minutes/s3rver/package.json ]]; then
        note "npm ci in tests/s3"
        (cd "$FILES_ROOT/tests/s3" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2) ||
            die "npm ci in tests/s3 failed"
    fi
    mkdir -p -- "$dir/data"
    S3RVER_DIR=$(cd "$dir" && pwd -P)
    S3RVER_PORT=$(free_port)
    NODE_OPTIONS="--openssl-legacy-provider${NODE_OPTIONS:+ $NODE_OPTIONS}" \
        node "$FILES_ROOT/tests/s3/s3rver.js" "$S3RVER_PORT" "$S3RVER_DIR/data" "$S3RVER_BUCKET" "$$" \
        </dev/null >"$S3RVER_DIR/s3rver.log" 2>&1 &
    S3RVER_PID=$!
    printf '%s\n' "$S3RVER_PID" >"$S3RVER_DIR/s3rver.pid"
    for i in $(seq 1 300); do
        if grep -q '^ready' "$S3RVER_DIR/s3rver.log" 2>/dev/null; then
            note "s3rver on http://127.0.0.1:$S3RVER_PORT (bucket $S3RVER_BUCKET, pid $S3RVER_PID)"
            return 0
        fi
        if ! kill -0 "$S3RVER_PID" 2>/dev/null; then
            wait "$S3RVER_PID" 2>/dev/null || true
            S3RVER_PID=""
            tail -n 20 "$S3RVER_DIR/s3rver.log" >&2 || true
            die "s3rver exited at start (log: $S3RVER_DIR/s3rver.log)"
        fi
        sleep 0.1
    done
    s3rver_stop
    die "s3rver was not ready within 30 s (log: $S3RVER_DIR/s3rver.log)"
}

# s3rver_settings: print the API.md §9 settings of the s3 backend on the running s3rver,
# one KEY=value a line (for env).
s3rver_settings() {
    [[ -n $S3RVER_PORT ]] || die "s3rver_settings: s3rver is not started"
    printf '%s\n' STORAGE_BACKEND=s3 "R2_ENDPOINT_URL=http://127.0.0.1:$S3RVER_PORT" \
        "R2_ACCESS_KEY_ID=$S3RVER_ACCESS_KEY" "R2_SECRET_ACCESS_KEY=$S3RVER_SECRET_KEY" \
        "R2_BUCKET=$S3RVER_BUCKET" "R2_REGION=$S3RVER_REGION" R2_ADDRESSING_STYLE=path
}

# s3rver_stop: stop the s3rver of s3rver_start (SIGTERM, SIGKILL after 5 s) and remove its pid file.
s3rver_stop() {
    [[ -n $S3RVER_PID ]] || return 0
    if kill -0 "$S3RVER_PID" 2>/dev/null; then
        stop_pids s3rver 5 "$S3RVER_PID"
    fi
    wait "$S3RVER_PID" 2>/dev/null || true
    rm -f -- "$S3RVER_DIR/s3rver.pid"
    S3RVER_PID=""
}
# ==== END S3 test server ====

# =======================================================================================
# ==== BEGIN openapi (issue 12): web assets and the tools of tests/web ====
# Packages (npm, pinned by lockfiles): web/ holds swagger-ui-dist (served at /docs, copied by
# make install); tests/web the lint, client-generation and browser-test tools.

# web_npm_ci DIR MARKER: npm ci in DIR unless DIR/node_modules/MARKER exists (node and npm
# from Debian when missing). Fails (returns 1) with a note when npm cannot install.
web_npm_ci() {
    local dir=$1 marker=$2
    [[ -e $dir/node_modules/$marker ]] && return 0
    command -v node >/dev/null 2>&1 || ensure_packages nodejs
    command -v npm >/dev/null 2>&1 || ensure_packages npm
    note "npm ci in ${dir#"$FILES_ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2) ||
        { note "error: npm ci in $dir failed"; return 1; }
}

# web_assets: swagger-ui-dist for /docs (a warning, not a failure, when npm cannot get it:
# the API works without its playground).
web_assets() {
    web_npm_ci "$FILES_ROOT/web" swagger-ui-dist/swagger-ui-bundle.js ||
        note "warning: web/node_modules/swagger-ui-dist is missing: /docs will not load"
}

# web_s3_stack_start DIR: next to the running stack, a second lighttpd on a free port in s3
# mode on a fresh s3rver (its bucket with a CORS rule for that lighttpd's origin, as
# docs/storage.md tells operators), same database and secret. The stack's globals are saved;
# web_s3_stack_stop stops both and restores them.
web_s3_stack_start() {
    local dir=$1 origin kv
    mkdir -p -- "$dir"
    WEB_SAVED=$(declare -p FILES_SETTINGS STACK_VAR STACK_PORT STACK_CONFIG STACK_ENV_FILE \
        LT_RUN LT_LOG LT_PID LT_CONF | sed -e 's/^declare /declare -g /')
    LT_PID=""
    STACK_VAR=$dir
    STACK_PORT=$(free_port)
    origin=http://$STACK_BIND:$STACK_PORT
    printf '%s\n' '<CORSConfiguration>' '  <CORSRule>' "    <AllowedOrigin>$origin</AllowedOrigin>" \
        '    <AllowedMethod>PUT</AllowedMethod>' '    <AllowedMethod>GET</AllowedMethod>' \
        '    <AllowedMethod>HEAD</AllowedMethod>' '    <AllowedHeader>content-type</AllowedHeader>' \
        '    <AllowedHeader>content-length</AllowedHeader>' '    <ExposeHeader>ETag</ExposeHeader>' \
        '    <MaxAgeSeconds>3600</MaxAgeSeconds>' '  </CORSRule>' '</CORSConfiguration>' >"$dir/cors.xml"
    S3RVER_CORS_FILE=$dir/cors.xml s3rver_start "$dir/s3rver"
    unset 'FILES_SETTINGS[STORAGE_LOCAL_ROOT]' 'FILES_SETTINGS[PUBLIC_BASE_URL]'
    while IFS= read -r kv; do FILES_SETTINGS[${kv%%=*}]=${kv#*=}; done < <(s3rver_settings)
    FILES_SETTINGS[R2_PUBLIC_URL]=http://127.0.0.1:$S3RVER_PORT/$S3RVER_BUCKET
    FILES_SETTINGS[CDN_URL]=${FILES_SETTINGS[R2_PUBLIC_URL]}
    stack_start
}

web_s3_stack_stop() {
    [[ -n ${WEB_SAVED:-} ]] || return 0
    lighttpd_stop
    s3rver_stop
    eval "$WEB_SAVED"
    WEB_SAVED=""
}

# deploy_copy_web DIR: the layout make install gives share/sartiq-files/web: docs/ (with
# swagger-ui-dist's files in docs/swagger-ui/) and demo/.
deploy_copy_web() {
    local dir=$1 f src=$FILES_ROOT/web/node_modules/swagger-ui-dist
    web_assets
    mkdir -p -- "$dir/docs/swagger-ui" "$dir/demo"
    install -m 0644 -- "$FILES_ROOT"/web/docs/* "$dir/docs/"
    install -m 0644 -- "$FILES_ROOT"/web/demo/* "$dir/demo/"
    for f in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css \
        oauth2-redirect.html favicon-16x16.png favicon-32x32.png; do
        [[ -f $src/$f ]] && install -m 0644 -- "$src/$f" "$dir/docs/swagger-ui/$f"
    done
    return 0
}
# ==== END openapi ====
