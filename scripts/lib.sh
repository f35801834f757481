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

# Debian packages the build, the stack and the tests need. Add new ones here.
FILES_PACKAGES=(
    build-essential autoconf automake libtool pkg-config
    libfcgi-dev libpq-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libzip-dev
    libpcre2-dev libcrypt-dev check
    postgresql-15 lighttpd curl openssl ca-certificates
    python3 python3-pytest python3-requests python3-jwt python3-bcrypt
)

# Every setting of API.md §9, in that order.
FILES_CONFIG_KEYS=(
    DATABASE_URL SECRET_KEY ACCESS_TOKEN_EXPIRE_MINUTES STORAGE_BACKEND STORAGE_LOCAL_ROOT
    PUBLIC_BASE_URL R2_ENDPOINT_URL R2_ACCESS_KEY_ID R2_SECRET_ACCESS_KEY R2_BUCKET
    R2_REGION R2_ADDRESSING_STYLE R2_PUBLIC_URL CDN_URL CLOUDFLARE_IMAGE_TRANSFORMS
    MAX_UPLOAD_SIZE PRESIGN_EXPIRES_SECONDS TEMP_TTL_SECONDS BULK_MAX_UPLOAD_BYTES
    BULK_MAX_UNCOMPRESSED_BYTES CORS_ORIGINS CAPTION_SERVICE_URL
)

# The settings a stack is started with (filled by the caller, completed by stack_start).
declare -gA FILES_SETTINGS=()

# State of the running stack (set by the functions below).
STACK_VAR=""          # absolute var directory
STACK_BIND=127.0.0.1
STACK_PORT=""         # HTTP port
STACK_PG_FAST=0       # 1: fsync off etc. (throw-away test clusters)
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
build() {
    (
        local flags want have
        cd "$FILES_ROOT" || exit 1
        [[ -f configure.ac ]] || { note "error: no configure.ac in $FILES_ROOT"; exit 1; }
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
        conf+="fsync = off
synchronous_commit = off
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
        FILES_SETTINGS[DATABASE_URL]="postgresql://$PG_APP_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_APP_DB"
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
    (settings_clear_env && FILES_CONFIG=$STACK_CONFIG exec "$FILES_ROOT/sbin/files-admin" "$@")
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

# lighttpd_config: write STACK_VAR/lighttpd/sartiq-files.conf from the templates in
# httpd-conf/lighttpd/ and httpd-conf/responders, and check it with lighttpd -tt.
lighttpd_config() {
    local blocks=$STACK_VAR/lighttpd/responders.conf name regex n=0 i default=""
    local fcgi_dir=$FILES_ROOT/fcgi-bin
    local -a names=() regexes=()
    local -A v=(
        [BIND]=$STACK_BIND
        [PORT]=$STACK_PORT
        [LOG_DIR]=$LT_LOG
        [RUN_DIR]=$LT_RUN
        [TMP_DIR]=$STACK_VAR/tmp
        [ERROR_DOCS]=$FILES_ROOT/httpd-conf/lighttpd/errors
        [STORAGE_ROOT]=${FILES_SETTINGS[STORAGE_LOCAL_ROOT]:-$STACK_VAR/storage}
        [MAX_REQUEST_SIZE_KB]=$(max_request_kb)
        [FCGI_BIN_DIR]=$fcgi_dir
        [FILES_CONFIG]=$STACK_CONFIG
        [FCGI_PROCS]=${FILES_FCGI_PROCS:-2}
    )
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
        v[REGEX]='^/storage/'
        v[WHAT]="every URL that no other responder and no /storage/ location claims, its own included"
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
    ((n > 0)) || note "warning: no responder is built"
    unset 'v[NAME]' 'v[REGEX]' 'v[OP]' 'v[WHAT]'
    # The template's head comment (up to its first blank line) documents the placeholders:
    # the generated file gets a pointer to it instead.
    {
        printf '# Generated by scripts/lib.sh from httpd-conf/lighttpd/sartiq-files.conf.in and\n'
        printf '# httpd-conf/responders (see the head of that template for what to change).\n\n'
        sed -e '1,/^$/d' -e "/^@FASTCGI_SERVERS@\$/{r $blocks" -e 'd}' \
            -- "$FILES_ROOT/httpd-conf/lighttpd/sartiq-files.conf.in"
    } >"$LT_CONF.in"
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
        kill -TERM "$LT_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do
            kill -0 "$LT_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$LT_PID" 2>/dev/null; then
            note "lighttpd did not stop in 10 s: killing it"
            kill -KILL "$LT_PID" 2>/dev/null || true
        fi
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
    [[ -x $FILES_ROOT/sbin/files-admin ]] || die "sbin/files-admin is not built"
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
}

# responder_pids NAME: print the pids (one a line) of the NAME.fcgi processes that this
# stack's lighttpd (LT_PID) runs.
responder_pids() {
    local d ppid exe
    [[ -n $LT_PID ]] || return 0
    for d in /proc/[0-9]*; do
        ppid=$(awk '/^PPid:/ { print $2; exit }' "$d/status" 2>/dev/null) || continue
        [[ $ppid == "$LT_PID" ]] || continue
        exe=$(readlink -- "$d/exe" 2>/dev/null) || continue
        [[ ${exe##*/} == "$1.fcgi" ]] && printf '%s\n' "${d#/proc/}"
    done
    return 0
}

# proc_rss_kb PID: print VmRSS of PID in kB (empty when PID is gone).
proc_rss_kb() {
    awk '/^VmRSS:/ { print $2; exit }' "/proc/$1/status" 2>/dev/null || true
}
