# /etc/cron.d/sartiq-files: files-cron sweeps expired uploads and the like (files-cron(8)).
# Commented out until /etc/sartiq-files/files.conf is filled in and the database migrated
# (/usr/share/doc/sartiq-files/deployment.md, "From the Debian package"); then remove the
# '#' of the last line (its summary line is dropped; errors still reach cron's mail). With
# the local storage backend, files-cron deletes what the responders wrote as www-data:
# run it as www-data there, not sartiq-files.
FILES_CONFIG=/etc/sartiq-files/files.conf
#*/5 * * * * sartiq-files [ -x /usr/sbin/files-cron ] && /usr/sbin/files-cron >/dev/null
