#!/bin/bash
# One HTTP request on stdin, one answer on stdout (systemd socket activation, Accept=yes): the
# request's body is appended as one line to /var/lib/alert-recorder/alerts.jsonl. A webhook
# receiver with nothing but bash and coreutils, for a lab or a first look at what Alertmanager sends.
set -u
dir=${STATE_DIRECTORY:-/var/lib/alert-recorder}  # systemd sets it from StateDirectory=
length=0
while IFS= read -r line; do
  line=${line%$'\r'}
  [ -z "$line" ] && break
  case "${line,,}" in
    content-length:*) length=${line#*:}; length=${length//[!0-9]/} ;;
  esac
done
body=$(head -c "${length:-0}" | tr -d '\n')
(
  flock 9
  printf '%s\n' "$body" >> "$dir/alerts.jsonl"
) 9> "$dir/.lock"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
