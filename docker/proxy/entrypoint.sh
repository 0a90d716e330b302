#!/bin/sh
# Renders /etc/nginx/nginx.conf from the template with the few values that differ per city, checks
# it, then runs the command (nginx in the foreground). Only these three variables are substituted:
# nginx's own $variables in the template are left alone.
set -eu
: "${SERVER_NAME:?set SERVER_NAME to the public host name, e.g. service.example.gov.cn}"
: "${TLS_CERTIFICATE:=/etc/nginx/tls/fullchain.pem}"
: "${TLS_CERTIFICATE_KEY:=/etc/nginx/tls/privkey.pem}"
export SERVER_NAME TLS_CERTIFICATE TLS_CERTIFICATE_KEY
envsubst '${SERVER_NAME} ${TLS_CERTIFICATE} ${TLS_CERTIFICATE_KEY}' \
  </etc/nginx/nginx.conf.template >/etc/nginx/nginx.conf
nginx -t -q
exec "$@"
